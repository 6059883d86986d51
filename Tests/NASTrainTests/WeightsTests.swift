import Foundation
import NASArch
import XCTest

@testable import NASTrain

final class WeightsTests: XCTestCase {
  static func tiny(width: Int = 4, classes: Int = 3) -> Architecture {
    Architecture(
      name: "tiny", inputSize: 6, inputChannels: 1, classes: classes,
      units: [
        NASArch.Unit(role: .stem, op: .conv, kernel: 3, stride: 2, outChannels: width, activation: .relu),
        NASArch.Unit(role: .block, op: .sepconv, kernel: 3, stride: 1, outChannels: width, activation: .relu, residual: true),
        NASArch.Unit(
          role: .block, op: .mbconv, kernel: 3, stride: 1, outChannels: 5, midChannels: 8,
          squeezeExcite: UnitSqueezeExcite(squeezeChannels: 2, gate: .hsigmoid), activation: .hswish),
        NASArch.Unit(role: .head, op: .pool),
        NASArch.Unit(role: .head, op: .conv, kernel: 1, outChannels: 6, activation: .hswish, normalization: .none),
        NASArch.Unit(role: .classifier, op: .classifier, outChannels: classes, dropout: 0.2),
      ])
  }

  func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("nas-\(UUID().uuidString)-\(name)").path
  }

  func testNamesAndShapesFollowPyTorch() throws {
    let net = try Network<Float>(Self.tiny(), seed: 1)
    let w = net.weights()
    XCTAssertEqual(w["units.0.layers.0.conv.weight"]?.shape, [4, 1, 3, 3])
    XCTAssertEqual(w["units.1.layers.0.conv.weight"]?.shape, [4, 1, 3, 3], "depthwise [C, 1, k, k]")
    XCTAssertEqual(w["units.2.layers.2.se.reduce.weight"]?.shape, [2, 8, 1, 1])
    XCTAssertEqual(w["units.4.layers.0.conv.bias"]?.shape, [6])
    XCTAssertEqual(w["units.5.layers.0.fc.weight"]?.shape, [3, 6])
    XCTAssertNotNil(w["units.0.layers.0.bn.running_var"])
    // Parameters (not statistics) add up to the architecture's own count.
    let trainable = net.parameters.filter { $0.kind.isTrainable }.reduce(0) { $0 + $1.count }
    XCTAssertEqual(trainable, try Self.tiny().costs().params)
  }

  func testStorageLayoutRoundTripsThroughPyTorchOrder() throws {
    let net = try Network<Float>(Self.tiny(), seed: 2)
    for p in net.parameters {
      let v = p.values()
      for i in 0..<p.count { XCTAssertEqual(p[pytorchIndex: i], v[i], p.name) }
      p.setValues(v.reversed())
      XCTAssertEqual(p.values(), v.reversed(), p.name)
    }
  }

  func testSafetensorsRoundTripAndByteLayout() throws {
    let net = try Network<Float>(Self.tiny(), seed: 3)
    let path = temporaryPath("w.safetensors")
    defer { try? FileManager.default.removeItem(atPath: path) }
    try Safetensors.write(net.weights(), to: path)
    let bytes = [UInt8](FileManager.default.contents(atPath: path)!)
    var n = 0
    for i in 0..<8 { n |= Int(bytes[i]) << (8 * i) }
    XCTAssertEqual(n % 8, 0, "header padded to 8 bytes")
    let header = String(decoding: bytes[8..<(8 + n)], as: UTF8.self)
    XCTAssert(header.contains("\"dtype\":\"F32\""))
    XCTAssert(header.contains("\"__metadata__\""))
    let parsed = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + n)])) as! [String: Any]
    let entry = parsed["units.0.layers.0.conv.weight"] as! [String: Any]
    XCTAssertEqual(entry["shape"] as? [Int], [4, 1, 3, 3])
    // The first value of that tensor sits at its offset, little-endian.
    let offsets = entry["data_offsets"] as! [Int]
    var bits: UInt32 = 0
    for b in 0..<4 { bits |= UInt32(bytes[8 + n + offsets[0] + b]) << (8 * UInt32(b)) }
    XCTAssertEqual(Float(bitPattern: bits), net.weights()["units.0.layers.0.conv.weight"]!.values[0])

    let other = try Network<Float>(Self.tiny(), seed: 4)
    XCTAssertNotEqual(other.weights().tensors, net.weights().tensors)
    try other.load(try Safetensors.read(path: path))
    XCTAssertEqual(other.weights().tensors, net.weights().tensors)
  }

  func testLoadingIntoAnotherArchitectureIsAClearError() throws {
    let net = try Network<Float>(Self.tiny(), seed: 3)
    let path = temporaryPath("w.safetensors")
    defer { try? FileManager.default.removeItem(atPath: path) }
    try Safetensors.write(net.weights(), to: path)
    let wider = try Network<Float>(Self.tiny(width: 8), seed: 3)
    XCTAssertThrowsError(try wider.load(try Safetensors.read(path: path))) { error in
      let text = "\(error)"
      XCTAssert(text.contains("the weights are for tiny"), text)
      XCTAssert(text.contains(Self.tiny().shortHash), text)
    }
    // Same shapes but a different architecture (another activation) is refused by hash too.
    var relu6 = Self.tiny()
    relu6.units[0].activation = .relu6
    XCTAssertThrowsError(try Network<Float>(relu6).load(try Safetensors.read(path: path)))
    // Without the hash check (NetAdapt's surgery) shapes must still fit.
    XCTAssertThrowsError(try wider.load(net.weights(), requireSameArchitecture: false)) { error in
      XCTAssert("\(error)".contains("has shape [4, 1, 3, 3], the network needs [8, 1, 3, 3]"), "\(error)")
    }
  }

  func testCorruptAndTruncatedFilesAreReported() throws {
    let net = try Network<Float>(Self.tiny(), seed: 3)
    let path = temporaryPath("w.safetensors")
    defer { try? FileManager.default.removeItem(atPath: path) }
    try Safetensors.write(net.weights(), to: path)
    let full = FileManager.default.contents(atPath: path)!
    XCTAssertThrowsError(try Safetensors.decode(full.prefix(full.count - 10), path: "cut")) { error in
      XCTAssert("\(error)".contains("truncated"), "\(error)")
    }
    XCTAssertThrowsError(try Safetensors.decode(Data("hello world, not weights".utf8), path: "text")) { error in
      XCTAssert("\(error)".contains("text:"), "\(error)")
    }
    XCTAssertThrowsError(try Safetensors.read(path: "/nonexistent/w.safetensors"))
  }

  func testSurgeryHelpers() {
    let t = NamedTensor(name: "w", shape: [3, 2], values: [3, 4, 0, 0, 1, 0])
    XCTAssertEqual(t.sliceNorms(axis: 0), [5, 0, 1])
    XCTAssertEqual(t.selecting([2, 0], axis: 0)?.values, [1, 0, 3, 4])
    XCTAssertEqual(t.selecting([1], axis: 1)?.values, [4, 0, 0])
    XCTAssertEqual(t.selecting([1], axis: 1)?.shape, [3, 1])
    XCTAssertNil(t.selecting([3], axis: 0))
  }

  /// Found while fuzzing the reader (fuzz/): shapes whose element or byte count overflows Int
  /// trapped instead of throwing.
  func testShapesThatOverflowAreRejected() {
    func file(_ header: String) -> Data {
      var h = Array(header.utf8)
      while h.count % 8 != 0 { h.append(0x20) }
      var d = Data()
      withUnsafeBytes(of: UInt64(h.count).littleEndian) { d.append(contentsOf: $0) }
      return d + h
    }
    for shape in ["[4611686018427387904,4]", "[2147483648,2147483648]", "[3037000500,3037000500]"] {
      let data = file("{\"w\":{\"dtype\":\"F32\",\"shape\":\(shape),\"data_offsets\":[0,0]}}")
      XCTAssertThrowsError(try Safetensors.decode(data, path: "big")) { error in
        XCTAssert("\(error)".hasPrefix("big") || "\(error)".contains("big"), "\(error)")
        XCTAssert("\(error)".contains("tensor w"), "\(error)")
      }
    }
  }
}
