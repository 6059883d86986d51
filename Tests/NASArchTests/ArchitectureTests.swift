import NASArch
import XCTest

final class ArchitectureTests: XCTestCase {
  func testMakeDivisibleFollowsTheNinetyPercentRule() {
    XCTAssertEqual(ChannelRounding.makeDivisible(18, divisor: 8), 24)  // 16 < 0.9 x 18
    XCTAssertEqual(ChannelRounding.makeDivisible(12, divisor: 8), 16)
    XCTAssertEqual(ChannelRounding.makeDivisible(36, divisor: 8), 40)
    XCTAssertEqual(ChannelRounding.makeDivisible(3, divisor: 8), 8)
    XCTAssertEqual(ChannelRounding.makeDivisible(6, divisor: 1, minimum: 1), 6)
    XCTAssertEqual(ChannelRounding.makeDivisible(147.2, divisor: 8), 144)
  }

  func tinyNetwork(residual: Bool = true) -> Architecture {
    Architecture(
      inputSize: 8, inputChannels: 3, classes: 4,
      units: [
        Unit(role: .stem, op: .conv, kernel: 3, stride: 2, outChannels: 8, activation: .relu),
        Unit(
          role: .block, op: .mbconv, kernel: 3, stride: 1, outChannels: 8, midChannels: 16,
          squeezeExcite: UnitSqueezeExcite(squeezeChannels: 4, gate: .hsigmoid), activation: .hswish, residual: residual),
        Unit(role: .head, op: .pool),
        Unit(role: .classifier, op: .classifier, outChannels: 4, normalization: .none),
      ])
  }

  func testLoweringShapesAndCounts() throws {
    let units = try tinyNetwork().placedUnits()
    XCTAssertEqual(units.map(\.output), [Shape(square: 4, channels: 8), Shape(square: 4, channels: 8), Shape(square: 1, channels: 8), Shape(square: 1, channels: 4)])
    // Stem: 3x3x3x8 weights + BN 16 = 232; MACs 216 x 16 positions.
    XCTAssertEqual(units[0].params, 232)
    XCTAssertEqual(units[0].macs, 216 * 16)
    // MBConv: expand 8*16 + 32, dw 9*16 + 32, SE 2*16*4 + 4 + 16, project 16*8 + 16.
    XCTAssertEqual(units[1].params, 160 + 176 + 148 + 144)
    XCTAssertEqual(units[1].macs, 128 * 16 + 144 * 16 + 128 + 128 * 16)
    XCTAssertEqual(units[1].segments.count, 1)
    XCTAssertTrue(units[1].segments[0].residual)
    XCTAssertEqual(units[3].params, 8 * 4 + 4)
  }

  func testResidualAcrossAStrideIsRefused() {
    var arch = tinyNetwork()
    arch.units[1].stride = 2
    XCTAssertThrowsError(try arch.placedUnits()) { error in
      guard case .residualAcrossShapeChange(let unit, _, _) = error as? ArchitectureError else { return XCTFail("\(error)") }
      XCTAssertEqual(unit, 1)
    }
  }

  func testCollapsingResolutionAndMisplacedClassifier() {
    var arch = tinyNetwork(residual: false)
    arch.inputSize = 1
    arch.units[0].stride = 1
    arch.units[0].kernel = 1
    arch.units[1].stride = 4
    // A stride on a 1x1 map would collapse the resolution below one pixel.
    XCTAssertThrowsError(try arch.placedUnits()) { error in
      guard case .resolutionCollapsed(let unit, _, _) = error as? ArchitectureError else { return XCTFail("\(error)") }
      XCTAssertEqual(unit, 1)
    }
    arch.units[1].stride = 1
    arch.units.removeLast()
    XCTAssertThrowsError(try arch.placedUnits()) { XCTAssertEqual($0 as? ArchitectureError, .misplacedClassifier) }
  }

  func testHugeLayersAreRefusedNotOverflowed() {
    var arch = tinyNetwork(residual: false)
    arch.inputSize = 4096
    arch.units[0].outChannels = 65536
    arch.units[1].midChannels = 65536
    XCTAssertThrowsError(try arch.costs())
  }

  func testCanonicalLineForEveryOp() {
    XCTAssertEqual(
      Architecture.canonicalLine(tinyNetwork().units[1]),
      "block mbconv k=3 s=1 mid=16 out=8 se-ch=4 se-gate=hsigmoid se-act=relu act=hswish skip=identity")
    XCTAssertEqual(Architecture.canonicalLine(Unit(role: .head, op: .pool)), "head pool")
    XCTAssertEqual(
      Architecture.canonicalLine(Unit(role: .classifier, op: .classifier, outChannels: 4, normalization: .none, dropout: 0.2)),
      "classifier dropout=0.2")
  }
}
