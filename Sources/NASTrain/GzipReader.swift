import CZlib
import Foundation

/// Reads a whole file through zlib: gzip files are inflated, other files come back as they are
/// (zlib's transparent mode), so `.gz` and plain IDX files read the same way.
enum GzipReader {
  static func read(path: String) throws(DataError) -> [UInt8] {
    guard FileManager.default.isReadableFile(atPath: path) else {
      throw .missing(what: "file", path: path, hint: "check the path")
    }
    guard let file = gzopen(path, "rb") else { throw .foreign(path: path, detail: "cannot open") }
    defer { gzclose(file) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true {
      let n = chunk.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32($0.count)) }
      if n < 0 {
        var code: Int32 = 0
        let message = gzerror(file, &code).map { String(cString: $0) } ?? "read error"
        if code == Z_BUF_ERROR || message.contains("unexpected end") {
          throw .truncated(path: path, detail: "the compressed stream ends early: \(message)")
        }
        throw .foreign(path: path, detail: "zlib: \(message)")
      }
      if n == 0 { break }
      out.append(contentsOf: chunk[0..<Int(n)])
    }
    return out
  }
}
