import NASArch
import XCTest

@testable import NASSpace

/// The analysis that runs on every load: its factored unit configurations equal the ones found
/// by resolving every assignment, global alternatives add up instead of multiplying, and the
/// work (units resolved) grows linearly with the file.
final class AnalysisTests: XCTestCase {
  let body = """
    stem conv k=3 s=2 out=16 act=relu
    block mbconv k={3,5} s={1,2} expand={1,6} out=16 repeat=2 depth={-1,0} width={0.5,1} skip={none,identity} act=relu
    block sepconv k=3 s={1,2} out=24 repeat=2 act={relu,hswish} choose=per-layer
    block conv k=3 s=2 out=32 scale=no
    head conv k=1 out=64 scale=up
    head pool
    classifier

    """

  func space(inputs: String, resolution: String = "1", widths: String) throws -> SearchSpace {
    try DSL.parseSpace(
      "input \(inputs) channels=3\nclasses 10\nwidth \(widths)\nresolution \(resolution)\n" + body, file: "t.space")
  }

  /// Every assignment resolved and placed: the configurations and the distinct networks.
  func bruteForce(_ space: SearchSpace) throws -> (configurations: Set<UnitConfiguration>, networks: Int) {
    let decisions = space.decisions
    var assignment = [Int](repeating: 0, count: decisions.count)
    var configurations = Set<UnitConfiguration>()
    var networks = 0
    var seen = Set<String>()
    while true {
      let arch = try space.architecture(for: assignment)
      for p in try arch.placedUnits() { configurations.insert(UnitConfiguration(unit: p.unit, input: p.input)) }
      // Global alternatives count as different networks even when they coincide.
      let globals = decisions.indices.filter { ["input", "resolution", "width"].contains(decisions[$0].name) }
      if seen.insert(arch.canonicalHash + globals.map { "/\(assignment[$0])" }.joined()).inserted { networks += 1 }
      var i = 0
      while i < assignment.count {
        assignment[i] += 1
        if assignment[i] < decisions[i].count { break }
        assignment[i] = 0
        i += 1
      }
      if i == assignment.count { break }
    }
    return (configurations, networks)
  }

  func testFactoredConfigurationsEqualEnumeration() throws {
    let s = try space(inputs: "{32,48,64}", resolution: "{1,0.5}", widths: "{0.5,1,1.5}")
    let analysis = try s.analyze()
    let expected = try bruteForce(s)
    XCTAssertEqual(analysis.unitConfigurations, expected.configurations)
    XCTAssertEqual(analysis.distinctUnitConfigurations, expected.configurations.count)
    XCTAssertEqual(try s.unitConfigurations(), expected.configurations)
    XCTAssertEqual(analysis.size.description, String(expected.networks))
  }

  func testGlobalAlternativesMultiplyTheSizeNotTheWork() throws {
    let sizes = (0..<50).map { String(64 + 4 * $0) }.joined(separator: ",")
    let widths = (0..<50).map { Architecture.formatNumber(0.5 + 0.05 * Double($0)) }.joined(separator: ",")
    let one = try space(inputs: "64", widths: "0.5").analyze()
    let manySizes = try space(inputs: "{\(sizes)}", widths: "0.5").analyze()
    let grid = try space(inputs: "{\(sizes)}", widths: "{\(widths)}").analyze()
    XCTAssertEqual(manySizes.size, one.size * BigCount(50))
    // Each width has its own count; the grid is 50 input sizes times their sum.
    var perWidth = BigCount.zero
    for w in widths.split(separator: ",") { perWidth = perWidth + (try space(inputs: "64", widths: String(w)).size()) }
    XCTAssertEqual(grid.size, perWidth * BigCount(50))
    // Input sizes cost two walks (smallest and largest) however many there are; widths add walks.
    XCTAssertEqual(manySizes.resolvedUnits, 2 * one.resolvedUnits)
    XCTAssertLessThanOrEqual(grid.resolvedUnits, 2 * 50 * one.resolvedUnits * 2)
  }

  func testWorkIsLinearInTheNumberOfBlocks() throws {
    func blocks(_ n: Int) throws -> SpaceAnalysis {
      let text =
        "input 28 channels=3\nclasses 10\nstem conv k=3 s=2 out=16\n"
        + String(repeating: "block mbconv k={3,5} s=1 expand=2 out=16 skip=identity\n", count: n) + "head pool\nclassifier\n"
      return try DSL.parseSpace(text, file: "blocks.space").analyze()
    }
    let small = try blocks(100), large = try blocks(1000)
    XCTAssertEqual(large.resolvedUnits - small.resolvedUnits, 900 * 2)
    var twoToThe1000 = BigCount(1)
    for _ in 0..<1000 { twoToThe1000 = twoToThe1000 * BigCount(2) }
    XCTAssertEqual(large.size, twoToThe1000)
    XCTAssertEqual(try DSL.parseSpace("input 28\nclasses 10\nstem conv out=8\nhead pool\nclassifier\n", file: "t").templateNames, ["stem0", "head0", "classifier0"])
  }

  func testAChangedSpaceIsAnalysedAgain() throws {
    var s = try space(inputs: "64", widths: "1")
    let before = try s.analyze()
    s.width = Choice([0.5, 1])
    let wider = try space(inputs: "64", widths: "{0.5,1}")
    XCTAssertEqual(try s.size(), try wider.size())
    XCTAssertEqual(try s.unitConfigurations(), try wider.unitConfigurations())
    XCTAssertNotEqual(try s.size(), before.size)
    s = try space(inputs: "64", widths: "1")
    s.templates[1].kernel = Choice([3])  // was {3,5}, and kernels never coincide
    XCTAssertEqual(try s.size() * BigCount(2), before.size)
    s = try space(inputs: "64", widths: "1")
    s.inputSize = Choice([64, 96])
    XCTAssertEqual(try s.size(), before.size * BigCount(2))
  }
}
