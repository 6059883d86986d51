import Foundation
import NASTrain

/// libFuzzer entry point: any bytes given to the safetensors reader must decode or throw a
/// typed error, never trap. A decoded set is written and read back, which must round-trip.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  let bytes = Data(UnsafeBufferPointer(start: data, count: data == nil ? 0 : size))
  guard let weights = try? Safetensors.decode(bytes, path: "fuzz.safetensors") else { return 0 }
  let path = scratchDirectory() + "nas-fuzz-\(getpid()).safetensors"
  defer { unlink(path) }
  do {
    try Safetensors.write(weights, to: path)
    let again = try Safetensors.read(path: path)
    // NaN payloads compare unequal, so compare bit patterns.
    let a = weights.tensors.map { ($0.name, $0.shape, $0.values.map(\.bitPattern)) }
    let b = again.tensors.map { ($0.name, $0.shape, $0.values.map(\.bitPattern)) }
    if a.count != b.count || zip(a, b).contains(where: { $0.0 != $1.0 || $0.1 != $1.1 || $0.2 != $1.2 }) || weights.metadata != again.metadata {
      fatalError("safetensors round trip changed the weights")
    }
  } catch {
    fatalError("a decoded weight set failed to round-trip: \(error)")
  }
  return 0
}

/// A memory-backed directory when there is one: a file per execution on disk is slow.
func scratchDirectory() -> String {
  var isDirectory: ObjCBool = false
  if FileManager.default.fileExists(atPath: "/dev/shm", isDirectory: &isDirectory), isDirectory.boolValue { return "/dev/shm/" }
  return NSTemporaryDirectory()
}
