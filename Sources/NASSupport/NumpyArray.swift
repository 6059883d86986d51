import Foundation

/// Why an `.npy` file cannot be read or written.
public enum NumpyError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The file is missing or unreadable.
  case unreadable(path: String)
  /// The file does not start with numpy's magic string.
  case notNumpy(path: String)
  /// A format version this reader does not handle.
  case unsupportedVersion(path: String, major: Int, minor: Int)
  /// The header dictionary is malformed.
  case badHeader(path: String, reason: String)
  /// An element type other than little-endian float32.
  case unsupportedDType(path: String, dtype: String)
  /// The data is stored column-major.
  case fortranOrder(path: String)
  /// Fewer data bytes than the shape needs.
  case truncated(path: String, expectedBytes: Int, actualBytes: Int)
  /// More data bytes than the shape holds, or values that do not fill the shape.
  case shapeMismatch(path: String, shape: [Int], detail: String)
  /// Writing the file failed.
  case writeFailed(path: String, reason: String)

  public var description: String {
    switch self {
    case .unreadable(let p):
      return "\(p): cannot read the file (missing or not readable)"
    case .notNumpy(let p):
      return "\(p): not a .npy file (it does not start with \\x93NUMPY); save the array with numpy.save"
    case .unsupportedVersion(let p, let major, let minor):
      return "\(p): .npy format version \(major).\(minor); nas reads versions 1.0 and 2.0 (numpy.save writes 1.0)"
    case .badHeader(let p, let reason):
      return "\(p): malformed .npy header (\(reason)); save the array with numpy.save"
    case .unsupportedDType(let p, let dtype):
      return "\(p): dtype '\(dtype)'; nas reads little-endian float32 ('<f4') only: save x.astype(numpy.float32)"
    case .fortranOrder(let p):
      return "\(p): the array is in Fortran (column-major) order; save numpy.ascontiguousarray(x)"
    case .truncated(let p, let expected, let actual):
      return "\(p): truncated: the shape needs \(expected) data bytes but the file holds \(actual)"
    case .shapeMismatch(let p, let shape, let detail):
      return "\(p.isEmpty ? "" : "\(p): ")shape \(shape) does not match the data: \(detail)"
    case .writeFailed(let p, let reason):
      return "\(p): cannot write (\(reason))"
    }
  }
}

/// A float32 array in C (row-major) order as numpy's `.npy` files hold it: the exchange
/// format between nas and PyTorch/ONNX tooling (`numpy.load`, `numpy.save`).
///
/// Reads format versions 1.0 and 2.0 and writes 1.0, dtype `<f4` only; any other element type,
/// Fortran order, a truncated file or trailing data is a ``NumpyError`` naming the file.
public struct NumpyArray: Equatable, Sendable {
  public private(set) var shape: [Int]
  public private(set) var values: [Float]

  static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

  /// An array of `shape` holding `values` in C order; their count must be the shape's product.
  public init(shape: [Int], values: [Float]) throws(NumpyError) {
    guard let count = Self.elementCount(shape) else {
      throw .shapeMismatch(path: "", shape: shape, detail: "dimensions must be 0 or more and their product must fit in memory")
    }
    guard count == values.count else {
      throw .shapeMismatch(path: "", shape: shape, detail: "it holds \(count) values but \(values.count) were given")
    }
    self.shape = shape
    self.values = values
  }

  /// The number of elements of `shape`, nil when a dimension is negative or the product overflows.
  static func elementCount(_ shape: [Int]) -> Int? {
    var count = 1
    for d in shape {
      guard d >= 0 else { return nil }
      let (p, overflow) = count.multipliedReportingOverflow(by: d)
      guard !overflow, p <= Int.max / 4 else { return nil }
      count = p
    }
    return count
  }

  // MARK: - Reading

  /// What the header of a file says, and where its data starts.
  public struct Header: Equatable, Sendable {
    public var shape: [Int]
    public var dataOffset: Int
    public var count: Int
  }

  /// Reads and checks the file's header only, and that the file holds exactly the data its
  /// shape needs: for commands that check their input before reading it whole.
  public static func readHeader(path: String) throws(NumpyError) -> Header {
    guard let handle = FileHandle(forReadingAtPath: path) else { throw .unreadable(path: path) }
    defer { try? handle.close() }
    // The longest v1 header is 10 + 65535 bytes; a v2 header longer than that is refused.
    guard let prefix = try? handle.read(upToCount: 10 + 65_535 + 2) else { throw .unreadable(path: path) }
    guard let size = try? handle.seekToEnd() else { throw .unreadable(path: path) }
    let header = try parseHeader([UInt8](prefix), path: path)
    try checkDataSize(header, dataBytes: Int(size) - header.dataOffset, path: path)
    return header
  }

  /// Reads a whole `.npy` file.
  public static func read(path: String) throws(NumpyError) -> NumpyArray {
    guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path: path) }
    return try decode(data, path: path)
  }

  /// Decodes the bytes of a `.npy` file (`path` names it in errors).
  public static func decode(_ data: Data, path: String) throws(NumpyError) -> NumpyArray {
    let bytes = [UInt8](data)
    let header = try parseHeader(bytes, path: path)
    try checkDataSize(header, dataBytes: bytes.count - header.dataOffset, path: path)
    var values = [Float](repeating: 0, count: header.count)
    for i in 0..<header.count {
      let p = header.dataOffset + 4 * i
      let bits = UInt32(bytes[p]) | UInt32(bytes[p + 1]) << 8 | UInt32(bytes[p + 2]) << 16 | UInt32(bytes[p + 3]) << 24
      values[i] = Float(bitPattern: bits)
    }
    return NumpyArray(checkedShape: header.shape, values: values)
  }

  private init(checkedShape shape: [Int], values: [Float]) {
    self.shape = shape
    self.values = values
  }

  static func checkDataSize(_ header: Header, dataBytes: Int, path: String) throws(NumpyError) {
    let expected = header.count * 4
    if dataBytes < expected { throw .truncated(path: path, expectedBytes: expected, actualBytes: max(0, dataBytes)) }
    if dataBytes > expected {
      throw .shapeMismatch(
        path: path, shape: header.shape, detail: "it needs \(expected) data bytes but the file holds \(dataBytes) (trailing data)")
    }
  }

  static func parseHeader(_ bytes: [UInt8], path: String) throws(NumpyError) -> Header {
    guard bytes.count >= 8, Array(bytes[0..<6]) == magic else { throw .notNumpy(path: path) }
    let major = Int(bytes[6]), minor = Int(bytes[7])
    let lengthBytes: Int
    switch (major, minor) {
    case (1, 0): lengthBytes = 2
    case (2, 0): lengthBytes = 4
    default: throw .unsupportedVersion(path: path, major: major, minor: minor)
    }
    guard bytes.count >= 8 + lengthBytes else { throw .truncated(path: path, expectedBytes: 8 + lengthBytes, actualBytes: bytes.count) }
    var length = 0
    for i in 0..<lengthBytes { length |= Int(bytes[8 + i]) << (8 * i) }
    let start = 8 + lengthBytes
    guard length <= bytes.count - start else {
      throw .badHeader(path: path, reason: "the header is \(length) bytes but the file ends after \(bytes.count - start)")
    }
    guard let text = String(bytes: bytes[start..<(start + length)], encoding: .ascii) else {
      throw .badHeader(path: path, reason: "the header is not ASCII")
    }
    var parser = HeaderParser(text: text, path: path)
    let fields = try parser.parse()
    guard case .string(let descr)? = fields["descr"] else { throw .badHeader(path: path, reason: "no 'descr' string") }
    guard case .bool(let fortran)? = fields["fortran_order"] else { throw .badHeader(path: path, reason: "no 'fortran_order' flag") }
    guard case .tuple(let shape)? = fields["shape"] else { throw .badHeader(path: path, reason: "no 'shape' tuple") }
    guard descr == "<f4" else { throw .unsupportedDType(path: path, dtype: descr) }
    // A 0- or 1-dimensional array is the same in either order.
    guard !fortran || shape.count <= 1 else { throw .fortranOrder(path: path) }
    guard let count = elementCount(shape) else {
      throw .badHeader(path: path, reason: "shape \(shape) has a negative dimension or more elements than any file holds")
    }
    return Header(shape: shape, dataOffset: start + length, count: count)
  }

  // MARK: - Writing

  /// The file's bytes: a version 1.0 header padded (with spaces and a newline) so the data
  /// starts on a 64-byte boundary, as numpy pads it, then the values little-endian.
  public func encoded() -> Data {
    let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
    var header = Array("{'descr': '<f4', 'fortran_order': False, 'shape': (\(dims)), }".utf8)
    let unpadded = 10 + header.count + 1
    header += [UInt8](repeating: 0x20, count: (64 - unpadded % 64) % 64) + [0x0A]
    var data = Data(capacity: 10 + header.count + values.count * 4)
    data.append(contentsOf: Self.magic + [1, 0, UInt8(header.count & 0xFF), UInt8(header.count >> 8)])
    data.append(contentsOf: header)
    values.withUnsafeBufferPointer { buffer in
      var le = [UInt8](repeating: 0, count: buffer.count * 4)
      for (i, v) in buffer.enumerated() {
        let bits = v.bitPattern
        le[4 * i] = UInt8(bits & 0xFF)
        le[4 * i + 1] = UInt8((bits >> 8) & 0xFF)
        le[4 * i + 2] = UInt8((bits >> 16) & 0xFF)
        le[4 * i + 3] = UInt8(bits >> 24)
      }
      data.append(contentsOf: le)
    }
    return data
  }

  /// Writes the array to `path` (atomically, by ``OutputFile``'s policy).
  public func write(to path: String) throws(NumpyError) {
    do { try OutputFile.write(encoded(), to: path) } catch { throw .writeFailed(path: path, reason: error.reason) }
  }
}

/// The Python dictionary literal of a `.npy` header: string keys mapping to strings, booleans
/// or tuples of integers (all numpy writes).
private struct HeaderParser {
  enum Value { case string(String), bool(Bool), tuple([Int]) }

  let chars: [Character]
  let path: String
  var i = 0

  init(text: String, path: String) {
    chars = Array(text)
    self.path = path
  }

  func fail(_ reason: String) -> NumpyError { .badHeader(path: path, reason: reason) }

  mutating func skipSpace() { while i < chars.count, chars[i].isWhitespace { i += 1 } }

  mutating func expect(_ c: Character) throws(NumpyError) {
    skipSpace()
    guard i < chars.count, chars[i] == c else { throw fail("expected '\(c)' at character \(i)") }
    i += 1
  }

  mutating func accept(_ c: Character) -> Bool {
    skipSpace()
    guard i < chars.count, chars[i] == c else { return false }
    i += 1
    return true
  }

  mutating func parse() throws(NumpyError) -> [String: Value] {
    var fields: [String: Value] = [:]
    try expect("{")
    while !accept("}") {
      let key = try string()
      try expect(":")
      guard fields[key] == nil else { throw fail("key '\(key)' appears twice") }
      fields[key] = try value()
      if !accept(",") {
        try expect("}")
        break
      }
    }
    skipSpace()
    guard i == chars.count else { throw fail("text after the dictionary") }
    return fields
  }

  mutating func value() throws(NumpyError) -> Value {
    skipSpace()
    guard i < chars.count else { throw fail("the header ends inside the dictionary") }
    if chars[i] == "'" || chars[i] == "\"" { return .string(try string()) }
    if chars[i] == "(" { return .tuple(try tuple()) }
    for (word, flag) in [("True", true), ("False", false)] where String(chars[i..<min(chars.count, i + word.count)]) == word {
      i += word.count
      return .bool(flag)
    }
    throw fail("unexpected value at character \(i)")
  }

  mutating func string() throws(NumpyError) -> String {
    skipSpace()
    guard i < chars.count, chars[i] == "'" || chars[i] == "\"" else { throw fail("expected a quoted key at character \(i)") }
    let quote = chars[i]
    i += 1
    let start = i
    while i < chars.count, chars[i] != quote { i += 1 }
    guard i < chars.count else { throw fail("unterminated string") }
    defer { i += 1 }
    return String(chars[start..<i])
  }

  mutating func tuple() throws(NumpyError) -> [Int] {
    try expect("(")
    var dims: [Int] = []
    while !accept(")") {
      skipSpace()
      let start = i
      while i < chars.count, chars[i].isASCII, chars[i].isNumber { i += 1 }
      guard i > start, let d = Int(String(chars[start..<i])) else { throw fail("shape entries must be non-negative integers") }
      dims.append(d)
      if !accept(",") {
        try expect(")")
        break
      }
    }
    return dims
  }
}
