import CFuzzerDriver

/// The process entry point (SwiftPM links it as `main`): runs libFuzzer with this target's callback.
@_cdecl("fuzz_idx_main")
public func fuzz_idx_main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
  var argc = argc
  var argv = argv
  return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzIDX(data, size) }
}
