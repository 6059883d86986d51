import NASArch
import NASSpace
import XCTest

/// The counts of the shipped reference networks against published figures
/// (see ../shared/reference/nas-facts.md): exact parameters and MACs to three significant
/// digits where torchvision publishes them, within 2% (of the printed, rounded figure) where
/// only a paper or README does.
final class ReferenceCountTests: XCTestCase {
  func costs(_ name: String, width: Double? = nil, resolution: Int? = nil) throws -> CostSummary {
    var space = try DSL.loadSpace(path: Fixtures.reference(name))
    if let width { space.width = .fixed(width) }
    if let resolution { space.inputSize = .fixed(resolution) }
    return try DSL.parseArchitecture(space: space).costs()
  }

  /// torchvision: exact parameters, MACs equal to `_ops` (GMACs) at three significant digits.
  func assertTorchvision(_ name: String, width: Double? = nil, params: Int, gmacs: Double, file: StaticString = #filePath, line: UInt = #line) throws {
    let c = try costs(name, width: width)
    XCTAssertEqual(c.params, params, "\(name) parameters", file: file, line: line)
    XCTAssertEqual((Double(c.macs) / 1e9 * 1000).rounded() / 1000, gmacs, "\(name) MACs \(c.macs)", file: file, line: line)
  }

  /// A paper's rounded figure: within 2% of it, or equal once rounded to its printed digits.
  func assertPublished(
    _ name: String, width: Double? = nil, resolution: Int? = nil, params: Double, macs: Double, digits: (Int, Int),
    file: StaticString = #filePath, line: UInt = #line
  ) throws {
    let c = try costs(name, width: width, resolution: resolution)
    func close(_ value: Double, _ published: Double, _ decimals: Int) -> Bool {
      let scale = pow(10, Double(decimals))
      return abs(value - published) <= 0.02 * published || (value * scale).rounded() / scale == published
    }
    XCTAssertTrue(close(Double(c.params) / 1e6, params, digits.0), "\(name) \(width ?? 1) params \(c.params) vs \(params)M", file: file, line: line)
    XCTAssertTrue(close(Double(c.macs) / 1e6, macs, digits.1), "\(name) \(width ?? 1) MACs \(c.macs) vs \(macs)M", file: file, line: line)
  }

  func testTorchvisionNetworksExactly() throws {
    try assertTorchvision("mobilenet-v2", params: 3_504_872, gmacs: 0.301)
    try assertTorchvision("mobilenet-v3-large", params: 5_483_032, gmacs: 0.217)
    try assertTorchvision("mobilenet-v3-small", params: 2_542_856, gmacs: 0.057)
    try assertTorchvision("mnasnet-b1", params: 4_383_312, gmacs: 0.314)
    try assertTorchvision("mnasnet-b1", width: 0.5, params: 2_218_512, gmacs: 0.104)
    try assertTorchvision("mnasnet-b1", width: 0.75, params: 3_170_208, gmacs: 0.215)
    try assertTorchvision("mnasnet-b1", width: 1.3, params: 6_282_256, gmacs: 0.526)
  }

  func testComputedCountsToTheUnit() throws {
    // Counts recomputed from the block tables in nas-facts.md.
    XCTAssertEqual(try costs("mobilenet-v1"), CostSummary(macs: 568_740_352, params: 4_231_976))
    XCTAssertEqual(try costs("mobilenet-v2").macs, 300_774_272)
    XCTAssertEqual(try costs("mobilenet-v3-large").macs, 216_589_760)
    XCTAssertEqual(try costs("mobilenet-v3-small").macs, 56_510_400)
    XCTAssertEqual(try costs("mnasnet-b1").macs, 314_415_872)
  }

  func testPaperFigures() throws {
    try assertPublished("mnasnet-a1", params: 3.9, macs: 312, digits: (1, 0))
    try assertPublished("repvit-m0.9", params: 5.07, macs: 816, digits: (2, 0))
    try assertPublished("repvit-m1.0", params: 6.81, macs: 1106, digits: (2, 0))
    // MobileNetV1 width and resolution multipliers (paper tables).
    try assertPublished("mobilenet-v1", params: 4.2, macs: 569, digits: (1, 0))
    try assertPublished("mobilenet-v1", width: 0.75, params: 2.6, macs: 325, digits: (1, 0))
    try assertPublished("mobilenet-v1", width: 0.5, params: 1.3, macs: 149, digits: (1, 0))
    try assertPublished("mobilenet-v1", width: 0.25, params: 0.5, macs: 41, digits: (1, 0))
    try assertPublished("mobilenet-v1", resolution: 192, params: 4.2, macs: 418, digits: (1, 0))
    try assertPublished("mobilenet-v1", resolution: 160, params: 4.2, macs: 290, digits: (1, 0))
    try assertPublished("mobilenet-v1", resolution: 128, params: 4.2, macs: 186, digits: (1, 0))
    // MobileNetV3 at 0.75 (paper Table 3), MobileNetV2 released checkpoints (slim README).
    try assertPublished("mobilenet-v3-large", width: 0.75, params: 4.0, macs: 155, digits: (1, 0))
    try assertPublished("mobilenet-v3-small", width: 0.75, params: 2.0, macs: 44, digits: (1, 0))
    try assertPublished("mobilenet-v2", width: 1.4, params: 6.06, macs: 582, digits: (2, 0))
    try assertPublished("mobilenet-v2", width: 0.35, params: 1.66, macs: 59, digits: (2, 0))
    // MnasNet-A1 depth multipliers (tensorflow/tpu README).
    try assertPublished("mnasnet-a1", width: 1.4, params: 6.1, macs: 591.5, digits: (1, 1))
    try assertPublished("mnasnet-a1", width: 0.75, params: 2.9, macs: 226.7, digits: (1, 1))
    try assertPublished("mnasnet-a1", width: 0.5, params: 2.1, macs: 105.2, digits: (1, 1))
  }

  func testLayerShapesOfMobileNetV3Large() throws {
    let arch = try DSL.loadArchitecture(path: Fixtures.reference("mobilenet-v3-large"))
    let units = try arch.placedUnits()
    XCTAssertEqual(units.first?.output, Shape(square: 112, channels: 16))
    // The last bottleneck ends at 7x7x160, the head conv at 7x7x960, then pooling.
    let pool = units.firstIndex { $0.unit.op == .pool }!
    XCTAssertEqual(units[pool - 1].output, Shape(square: 7, channels: 960))
    XCTAssertEqual(units[pool].output, Shape(square: 1, channels: 960))
    XCTAssertEqual(units.last?.output, Shape(square: 1, channels: 1000))
    // SE of the first 5x5 block: a quarter of 72 rounded to 8 is 24.
    XCTAssertEqual(units[4].unit.squeezeExcite?.squeezeChannels, 24)
  }
}
