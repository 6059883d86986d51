import Foundation
import NASSupport
import XCTest

/// `NumpyArray`: the bytes numpy writes and reads, and a typed error for each file it refuses.
final class NumpyTests: XCTestCase {
  var directory: URL!

  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("nas-npy-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

  func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

  /// A version 1.0 file with `header` as its dictionary (padded as numpy pads) and `data`.
  func file(header: String, data: [UInt8], version: [UInt8] = [1, 0]) -> Data {
    var h = Array(header.utf8)
    h += [UInt8](repeating: 0x20, count: (64 - (10 + h.count + 1) % 64) % 64) + [0x0A]
    return Data([0x93] + Array("NUMPY".utf8) + version + [UInt8(h.count & 0xFF), UInt8(h.count >> 8)] + h + data)
  }

  func floats(_ values: [Float]) -> [UInt8] { values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) } }

  func testRoundTripKeepsShapeAndValues() throws {
    for shape in [[2, 3, 4, 5], [7], [], [0, 3]] {
      let count = shape.reduce(1, *)
      let values = (0..<count).map { Float($0) * 0.37 - 2.5 }
      let a = try NumpyArray(shape: shape, values: values)
      try a.write(to: path("a.npy"))
      XCTAssertEqual(try NumpyArray.read(path: path("a.npy")), a, "\(shape)")
      XCTAssertEqual(try NumpyArray.readHeader(path: path("a.npy")).shape, shape)
    }
  }

  func testWrittenBytesAreNumpysVersion1Layout() throws {
    let data = try NumpyArray(shape: [2, 1], values: [1.5, -2]).encoded()
    let bytes = [UInt8](data)
    XCTAssertEqual(Array(bytes[0..<8]), [0x93] + Array("NUMPY".utf8) + [1, 0])
    let length = Int(bytes[8]) | Int(bytes[9]) << 8
    XCTAssertEqual((10 + length) % 64, 0, "data aligned to 64 bytes as numpy aligns it")
    let header = String(decoding: bytes[10..<(10 + length)], as: UTF8.self)
    XCTAssertTrue(header.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1), }"), header)
    XCTAssertTrue(header.hasSuffix("\n"))
    XCTAssertEqual(Array(bytes[(10 + length)...]), floats([1.5, -2]))
    let oneDimensional = String(decoding: try NumpyArray(shape: [3], values: [0, 0, 0]).encoded(), as: UTF8.self)
    XCTAssertTrue(oneDimensional.contains("'shape': (3,)"), "a 1-tuple is written as Python writes it")
  }

  func testReadsHeadersWrittenWithOtherSpacingAndKeyOrder() throws {
    let data = file(header: "{\"shape\":(2,2),\"fortran_order\":False,\"descr\":\"<f4\"}", data: floats([1, 2, 3, 4]))
    let a = try NumpyArray.decode(data, path: "x.npy")
    XCTAssertEqual(a.shape, [2, 2])
    XCTAssertEqual(a.values, [1, 2, 3, 4])
  }

  func testEachBadFileIsATypedError() throws {
    let good = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"
    let cases: [(Data, NumpyError)] = [
      (Data("not numpy at all".utf8), .notNumpy(path: "x.npy")),
      (file(header: good, data: floats([1, 2]), version: [3, 0]), .unsupportedVersion(path: "x.npy", major: 3, minor: 0)),
      (file(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", data: [UInt8](repeating: 0, count: 16)),
       .unsupportedDType(path: "x.npy", dtype: "<f8")),
      (file(header: "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", data: floats([1, 2])),
       .unsupportedDType(path: "x.npy", dtype: ">f4")),
      (file(header: "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", data: floats([1, 2, 3, 4])),
       .fortranOrder(path: "x.npy")),
      (file(header: good, data: floats([1])), .truncated(path: "x.npy", expectedBytes: 8, actualBytes: 4)),
      (file(header: good, data: floats([1, 2, 3])), .shapeMismatch(path: "x.npy", shape: [2], detail: "it needs 8 data bytes but the file holds 12 (trailing data)")),
    ]
    for (data, expected) in cases {
      XCTAssertThrowsError(try NumpyArray.decode(data, path: "x.npy"), "\(expected)") { XCTAssertEqual($0 as? NumpyError, expected) }
    }
    for header in ["{'descr': '<f4', 'shape': (2,), }", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, -1), }", "[1, 2]"] {
      XCTAssertThrowsError(try NumpyArray.decode(file(header: header, data: floats([1, 2])), path: "x.npy"), header) { error in
        guard case .badHeader(let p, _)? = error as? NumpyError else { return XCTFail("\(error)") }
        XCTAssertEqual(p, "x.npy")
      }
    }
  }

  func testReadHeaderChecksTheDataSizeWithoutReadingTheData() throws {
    let data = file(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }", data: floats([1, 2, 3]))
    try data.write(to: URL(fileURLWithPath: path("short.npy")))
    XCTAssertThrowsError(try NumpyArray.readHeader(path: path("short.npy"))) {
      XCTAssertEqual($0 as? NumpyError, .truncated(path: path("short.npy"), expectedBytes: 24, actualBytes: 12))
    }
    XCTAssertThrowsError(try NumpyArray.readHeader(path: path("missing.npy"))) {
      XCTAssertEqual($0 as? NumpyError, .unreadable(path: path("missing.npy")))
    }
  }

  func testValuesThatDoNotFillTheShapeAreRefused() {
    XCTAssertThrowsError(try NumpyArray(shape: [2, 3], values: [1, 2])) { error in
      guard case .shapeMismatch(_, let shape, _)? = error as? NumpyError else { return XCTFail("\(error)") }
      XCTAssertEqual(shape, [2, 3])
      XCTAssertTrue("\(error)".contains("6 values but 2"), "\(error)")
    }
  }
}
