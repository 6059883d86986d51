/// The IDX format of MNIST and Fashion-MNIST: two zero bytes, a type byte (0x08 for unsigned
/// bytes), the number of dimensions, each dimension as a big-endian 32-bit integer, then the data.
public struct IDXFile: Sendable {
  public var dimensions: [Int]
  public var data: [UInt8]

  /// Parses `bytes` (already inflated); `path` only labels errors.
  public static func parse(_ bytes: [UInt8], path: String) throws(DataError) -> IDXFile {
    guard bytes.count >= 4 else { throw .truncated(path: path, detail: "\(bytes.count) bytes, no IDX header") }
    guard bytes[0] == 0, bytes[1] == 0 else {
      throw .foreign(path: path, detail: "the magic number does not start with two zero bytes")
    }
    guard bytes[2] == 0x08 else {
      throw .foreign(path: path, detail: String(format: "element type 0x%02x; only unsigned bytes (0x08) are used by image data sets", bytes[2]))
    }
    let rank = Int(bytes[3])
    guard (1...4).contains(rank) else { throw .foreign(path: path, detail: "\(rank) dimensions") }
    let headerSize = 4 + 4 * rank
    guard bytes.count >= headerSize else { throw .truncated(path: path, detail: "the header needs \(headerSize) bytes") }
    var dims: [Int] = []
    var expected = 1
    for d in 0..<rank {
      let o = 4 + 4 * d
      let v = Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3])
      guard v > 0, v < 100_000_000 else { throw .foreign(path: path, detail: "dimension \(d) is \(v)") }
      dims.append(v)
      expected *= v
      guard expected < 4_000_000_000 else { throw .foreign(path: path, detail: "declared size too large") }
    }
    let actual = bytes.count - headerSize
    if actual < expected {
      throw .truncated(path: path, detail: "the header declares \(dims.map(String.init).joined(separator: "x")) = \(expected) bytes, the file holds \(actual)")
    }
    if actual > expected {
      throw .foreign(path: path, detail: "\(actual - expected) bytes after the declared \(expected)")
    }
    return IDXFile(dimensions: dims, data: Array(bytes[headerSize...]))
  }

  public static func read(path: String) throws(DataError) -> IDXFile {
    try parse(try GzipReader.read(path: path), path: path)
  }
}
