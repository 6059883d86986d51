import Foundation
import NASTrain

/// libFuzzer entry point: bytes are parsed as raw IDX and, through a file, as a gzip'd or plain
/// IDX file (zlib reads both); either must succeed or throw a typed error, never trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIDX(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  let bytes = [UInt8](UnsafeBufferPointer(start: data, count: data == nil ? 0 : size))
  let direct = try? IDXFile.parse(bytes, path: "fuzz.idx")
  if let direct, direct.data.count != direct.dimensions.reduce(1, *) {
    fatalError("IDX data size disagrees with its dimensions")
  }
  let path = scratchDirectory() + "nas-fuzz-\(getpid()).idx.gz"
  defer { unlink(path) }
  guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { return 0 }
  _ = try? IDXFile.read(path: path)
  return 0
}

/// A memory-backed directory when there is one: a file per execution on disk is slow.
func scratchDirectory() -> String {
  var isDirectory: ObjCBool = false
  if FileManager.default.fileExists(atPath: "/dev/shm", isDirectory: &isDirectory), isDirectory.boolValue { return "/dev/shm/" }
  return NSTemporaryDirectory()
}
