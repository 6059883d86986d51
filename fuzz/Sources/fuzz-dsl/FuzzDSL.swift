import NASArch
import NASSpace
import NASSupport

/// libFuzzer entry point: any UTF-8 text must load as a space (and then sample, summarise and
/// round-trip through the canonical text) or give a `DSLError`, never trap. The same text is
/// also read as an architecture, the `.arch` path.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDSL(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  let bytes = UnsafeBufferPointer(start: data, count: data == nil ? 0 : size)
  guard let text = String(validating: bytes, as: UTF8.self) else { return 0 }
  if let arch = try? DSL.parseArchitecture(text, file: "fuzz.arch") {
    checkRoundTrip(arch)
  }
  guard let space = try? DSL.parseSpace(text, file: "fuzz.space") else { return 0 }
  _ = try? SpaceSummary(space)
  var rng = SeededGenerator(seed: UInt64(size))
  for _ in 0..<2 {
    guard let arch = try? space.sample(using: &rng) else { fatalError("a loaded space gave an unresolvable sample") }
    checkRoundTrip(arch)
  }
  return 0
}

private func checkRoundTrip(_ arch: Architecture) {
  guard (try? ArchitectureReport(arch)) != nil else { fatalError("a resolved architecture has no report") }
  let text = arch.canonicalText()
  guard let again = try? DSL.parseArchitecture(text, file: "canonical.arch"), again == arch, again.canonicalText() == text else {
    fatalError("canonical text does not round-trip:\n\(text)")
  }
}
