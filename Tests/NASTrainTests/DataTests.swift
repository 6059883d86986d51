import Foundation
import NASArch
import XCTest

@testable import NASTrain

final class DataTests: XCTestCase {
  func idx(_ dims: [Int], _ data: [UInt8], type: UInt8 = 8) -> [UInt8] {
    var b: [UInt8] = [0, 0, type, UInt8(dims.count)]
    for d in dims { b += [UInt8(d >> 24 & 255), UInt8(d >> 16 & 255), UInt8(d >> 8 & 255), UInt8(d & 255)] }
    return b + data
  }

  func testIDXParsesAndRejectsTruncatedAndForeignFiles() throws {
    let f = try IDXFile.parse(idx([2, 2, 3], Array(0..<12)), path: "x")
    XCTAssertEqual(f.dimensions, [2, 2, 3])
    XCTAssertEqual(f.data, Array(0..<12))
    XCTAssertThrowsError(try IDXFile.parse(idx([2, 2, 3], Array(0..<11)), path: "x")) { e in
      XCTAssert("\(e)".contains("truncated"), "\(e)")
    }
    XCTAssertThrowsError(try IDXFile.parse(idx([2], [1, 2], type: 0x0D), path: "x")) { e in
      XCTAssert("\(e)".contains("element type 0x0d"), "\(e)")
    }
    XCTAssertThrowsError(try IDXFile.parse(Array("PNG image".utf8), path: "x")) { e in
      XCTAssert("\(e)".contains("not a data file"), "\(e)")
    }
    XCTAssertThrowsError(try IDXFile.parse(idx([2], [1, 2, 3]), path: "x")) { e in
      XCTAssert("\(e)".contains("bytes after"), "\(e)")
    }
  }

  func testGzipTruncationIsReported() throws {
    let path = NSTemporaryDirectory() + "nas-idx-\(UUID().uuidString)"
    defer {
      try? FileManager.default.removeItem(atPath: path)
      try? FileManager.default.removeItem(atPath: path + ".gz")
    }
    let raw = idx([100, 28, 28], (0..<(100 * 784)).map { UInt8(truncatingIfNeeded: $0 &* 7) })
    FileManager.default.createFile(atPath: path, contents: Data(raw))
    let gzip = Process()
    gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
    gzip.arguments = ["-k", path]
    try gzip.run()
    gzip.waitUntilExit()
    XCTAssertEqual(try IDXFile.read(path: path + ".gz").dimensions, [100, 28, 28])
    XCTAssertEqual(try IDXFile.read(path: path).data.count, 100 * 784, "plain files read the same way")
    let gz = FileManager.default.contents(atPath: path + ".gz")!
    FileManager.default.createFile(atPath: path + ".gz", contents: gz.prefix(gz.count / 2))
    XCTAssertThrowsError(try IDXFile.read(path: path + ".gz")) { e in
      XCTAssert("\(e)".contains("truncated"), "\(e)")
    }
  }

  func testCIFARRecordsAndErrors() throws {
    var rec = [UInt8](repeating: 0, count: CIFARReader.recordSize * 2)
    rec[0] = 3
    rec[1] = 10  // red of pixel 0
    rec[1 + 1024] = 20  // green of pixel 0
    rec[1 + 2048 + 1] = 30  // blue of pixel 1
    rec[CIFARReader.recordSize] = 9
    let (images, labels) = try CIFARReader.parse(rec, path: "c")
    XCTAssertEqual(labels, [3, 9])
    XCTAssertEqual(Array(images[0..<6]), [10, 20, 0, 0, 0, 30], "NHWC")
    XCTAssertThrowsError(try CIFARReader.parse(Array(rec.dropLast(5)), path: "c")) { e in
      XCTAssert("\(e)".contains("truncated"), "\(e)")
    }
    var bad = rec
    bad[0] = 57
    XCTAssertThrowsError(try CIFARReader.parse(bad, path: "c")) { e in XCTAssert("\(e)".contains("label 57"), "\(e)") }
    XCTAssertThrowsError(try CIFARReader.parse([1, 2, 3], path: "c")) { e in XCTAssert("\(e)".contains("not a whole number"), "\(e)") }
  }

  func testMissingDataSetsSayWhatToDo() {
    XCTAssertThrowsError(try DataSource.directory("/nonexistent/data").load()) { e in
      XCTAssert("\(e)".contains("/nonexistent/data"), "\(e)")
    }
    let empty = NSTemporaryDirectory() + "nas-empty-\(UUID().uuidString)"
    try? FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: empty) }
    XCTAssertThrowsError(try DataSource.directory(empty).load()) { e in
      XCTAssert("\(e)".contains("train-images-idx3-ubyte"), "\(e)")
    }
    if !FileManager.default.fileExists(atPath: DataSource.fashionMNISTDirectory) {
      XCTAssertThrowsError(try DataSource.fashionMNIST.load()) { e in
        XCTAssert("\(e)".contains("apt-get install dataset-fashion-mnist"), "\(e)")
      }
    }
    let message = DataError.missing(
      what: "Fashion-MNIST", path: DataSource.fashionMNISTDirectory, hint: "install it with `apt-get install dataset-fashion-mnist`")
    XCTAssert(message.description.contains("apt-get install dataset-fashion-mnist"))
  }

  func testValidationSplitIsHeldOutOfTrainingFilesAndFixed() throws {
    let data = try DataSource.random(height: 4, width: 4, channels: 1).load(validationCount: 500)
    XCTAssertEqual(data.validation.count, 500)
    XCTAssertEqual(data.train.count, 10_000)
    let again = try DataSource.random(height: 4, width: 4, channels: 1).load(validationCount: 500)
    XCTAssertEqual(again.validation.pixels, data.validation.pixels)
    XCTAssertThrowsError(
      try DataSource.split(
        name: "t", source: "t", height: 1, width: 1, channels: 1, trainPixels: [1, 2, 3], trainLabels: [0, 1, 2],
        testPixels: [], testLabels: [], validationCount: 3)
    ) { e in XCTAssert("\(e)".contains("needs 1 to 2"), "\(e)") }
  }

  func testProxyRuleAdaptsEarlyStrides() {
    func unit(_ s: Int) -> NASArch.Unit { NASArch.Unit(role: .block, op: .conv, kernel: 3, stride: s, outChannels: 8, activation: .relu) }
    let arch = Architecture(
      name: "a", inputSize: 224, inputChannels: 3, classes: 1000,
      units: [unit(2), unit(1), unit(2), unit(2), unit(2), unit(2), NASArch.Unit(role: .head, op: .pool),
              NASArch.Unit(role: .classifier, op: .classifier, outChannels: 1000)])
    let proxy = ProxyRule(resolution: 28, inputChannels: 1, classes: 10).proxy(of: arch)
    XCTAssertEqual(proxy.units.map(\.stride).prefix(6), [1, 1, 1, 2, 2, 2])
    XCTAssertEqual(ProxyRule.downsampling(of: proxy), 8)
    XCTAssertEqual(proxy.inputSize, 28)
    XCTAssertEqual(proxy.inputChannels, 1)
    XCTAssertEqual(proxy.classes, 10)
    XCTAssertEqual(proxy.units.last?.outChannels, 10)
    XCTAssertEqual(proxy.name, "a-proxy")
    XCTAssertNoThrow(try proxy.placedUnits())
    // A stride of 4 is only halved when that is enough.
    var four = arch
    four.units[0].stride = 4
    XCTAssertEqual(ProxyRule(resolution: 28, inputChannels: 1, classes: 10, maxDownsampling: 32).proxy(of: four).units[0].stride, 2)
  }
}
