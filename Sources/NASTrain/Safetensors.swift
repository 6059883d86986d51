import Foundation
import NASSupport

/// Reads and writes the safetensors format (so PyTorch's `safetensors.torch.load_file` reads
/// what `nas train --save` writes): an 8-byte little-endian header length, a JSON header
/// mapping names to dtype, shape and data offsets (plus `__metadata__`, string to string), then
/// the raw little-endian data.
public enum Safetensors {
  public static func write(_ weights: WeightSet, to path: String) throws(TrainError) {
    do {
      try OutputFile.write(encode(weights), to: path)
    } catch {
      throw .badWeightsFile(path: path, reason: error.reason)
    }
  }

  /// The bytes of a safetensors file holding `weights`.
  public static func encode(_ weights: WeightSet) -> Data {
    var entries: [String] = []
    var offset = 0
    for t in weights.tensors {
      let bytes = t.values.count * 4
      entries.append(
        "\(quote(t.name)):{\"dtype\":\"F32\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + bytes)]}"
      )
      offset += bytes
    }
    if !weights.metadata.isEmpty {
      let meta = weights.metadata.keys.sorted().map { "\(quote($0)):\(quote(weights.metadata[$0]!))" }
      entries.insert("\"__metadata__\":{\(meta.joined(separator: ","))}", at: 0)
    }
    var header = Array(("{" + entries.joined(separator: ",") + "}").utf8)
    while header.count % 8 != 0 { header.append(0x20) }
    var data = Data(capacity: 8 + header.count + offset)
    withUnsafeBytes(of: UInt64(header.count).littleEndian) { data.append(contentsOf: $0) }
    data.append(contentsOf: header)
    for t in weights.tensors {
      t.values.withUnsafeBufferPointer { buffer in
        for v in buffer { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
      }
    }
    return data
  }

  public static func read(path: String) throws(TrainError) -> WeightSet {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw .badWeightsFile(path: path, reason: "cannot read the file (missing or not readable)")
    }
    return try decode(data, path: path)
  }

  public static func decode(_ data: Data, path: String) throws(TrainError) -> WeightSet {
    func bad(_ reason: String) -> TrainError { .badWeightsFile(path: path, reason: reason + "; is this a safetensors file?") }
    let bytes = [UInt8](data)
    guard bytes.count >= 8 else { throw bad("the file has \(bytes.count) bytes, too short for a header") }
    var length: UInt64 = 0
    for i in 0..<8 { length |= UInt64(bytes[i]) << (8 * UInt64(i)) }
    guard length >= 2, length <= UInt64(bytes.count - 8), length < 100_000_000 else {
      throw bad("the header length \(length) does not fit the file size \(bytes.count)")
    }
    let headerEnd = 8 + Int(length)
    let object: Any
    do {
      object = try JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd]))
    } catch {
      throw bad("the header is not JSON")
    }
    guard let header = object as? [String: Any] else { throw bad("the header is not a JSON object") }
    let dataSize = bytes.count - headerEnd
    var metadata: [String: String] = [:]
    if let meta = header["__metadata__"] {
      guard let m = meta as? [String: Any] else { throw bad("__metadata__ is not an object") }
      for (k, v) in m {
        guard let s = v as? String else { throw bad("__metadata__ value of \(k) is not a string") }
        metadata[k] = s
      }
    }
    var tensors: [(start: Int, tensor: NamedTensor)] = []
    for (name, value) in header where name != "__metadata__" {
      guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
        let shapeValues = entry["shape"] as? [Any], let offsets = entry["data_offsets"] as? [Any], offsets.count == 2
      else { throw bad("tensor \(name) lacks dtype, shape or data_offsets") }
      let shape = shapeValues.compactMap { ($0 as? NSNumber)?.intValue }
      let range = offsets.compactMap { ($0 as? NSNumber)?.intValue }
      guard shape.count == shapeValues.count, shape.allSatisfy({ $0 >= 0 }), range.count == 2 else {
        throw bad("tensor \(name) has a malformed shape or offsets")
      }
      let elementSize: Int
      switch dtype {
      case "F32": elementSize = 4
      case "F64": elementSize = 8
      default: throw .badWeightsFile(path: path, reason: "tensor \(name) has dtype \(dtype); nas reads F32 and F64")
      }
      // A corrupt shape can overflow Int; such a tensor cannot fit the file anyway.
      var count = 1
      for d in shape {
        let (product, overflow) = count.multipliedReportingOverflow(by: d)
        guard !overflow else { throw bad("tensor \(name) has shape \(shape), more elements than any file holds") }
        count = product
      }
      let (byteCount, overflow) = count.multipliedReportingOverflow(by: elementSize)
      guard !overflow, range[0] >= 0, range[1] >= range[0], range[1] <= dataSize, range[1] - range[0] == byteCount else {
        throw .badWeightsFile(
          path: path,
          reason: "tensor \(name) (shape \(shape)) has data offsets \(range) outside the \(dataSize) data bytes; the file is truncated or corrupt")
      }
      var values = [Float](repeating: 0, count: count)
      let base = headerEnd + range[0]
      for i in 0..<count {
        let p = base + i * elementSize
        if elementSize == 4 {
          var bits: UInt32 = 0
          for b in 0..<4 { bits |= UInt32(bytes[p + b]) << (8 * UInt32(b)) }
          values[i] = Float(bitPattern: bits)
        } else {
          var bits: UInt64 = 0
          for b in 0..<8 { bits |= UInt64(bytes[p + b]) << (8 * UInt64(b)) }
          values[i] = Float(Double(bitPattern: bits))
        }
      }
      tensors.append((range[0], NamedTensor(name: name, shape: shape, values: values)))
    }
    // File order is data order; JSON object order is not preserved by the parser.
    tensors.sort { $0.start < $1.start || ($0.start == $1.start && $0.tensor.name < $1.tensor.name) }
    return WeightSet(tensors: tensors.map(\.tensor), metadata: metadata)
  }

  static func quote(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
      switch u {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
      }
    }
    return out + "\""
  }
}
