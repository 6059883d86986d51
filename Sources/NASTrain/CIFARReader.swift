/// The CIFAR-10 binary format: records of one label byte (0–9) followed by 3072 bytes of a
/// 32×32 image, channel-planar (1024 red, 1024 green, 1024 blue), rows top to bottom.
public enum CIFARReader {
  public static let recordSize = 1 + 3 * 32 * 32

  /// Images converted to NHWC bytes, and labels.
  public static func parse(_ bytes: [UInt8], path: String) throws(DataError) -> (images: [UInt8], labels: [UInt8]) {
    guard !bytes.isEmpty else { throw .truncated(path: path, detail: "the file is empty") }
    guard bytes.count % recordSize == 0 else {
      let whole = bytes.count / recordSize
      if bytes.count > recordSize, whole > 0 {
        throw .truncated(path: path, detail: "\(bytes.count) bytes is \(whole) records of \(recordSize) and \(bytes.count % recordSize) bytes more")
      }
      throw .foreign(path: path, detail: "\(bytes.count) bytes is not a whole number of \(recordSize)-byte CIFAR-10 records")
    }
    let n = bytes.count / recordSize
    var images = [UInt8](repeating: 0, count: n * 3072)
    var labels = [UInt8](repeating: 0, count: n)
    for i in 0..<n {
      let r = i * recordSize
      guard bytes[r] < 10 else {
        throw .foreign(path: path, detail: "record \(i) has label \(bytes[r]); CIFAR-10 labels are 0 to 9 (is this CIFAR-100?)")
      }
      labels[i] = bytes[r]
      for p in 0..<1024 {
        for c in 0..<3 { images[i * 3072 + p * 3 + c] = bytes[r + 1 + c * 1024 + p] }
      }
    }
    return (images, labels)
  }

  public static func read(path: String) throws(DataError) -> (images: [UInt8], labels: [UInt8]) {
    try parse(try GzipReader.read(path: path), path: path)
  }
}
