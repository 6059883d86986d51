import NASArch
import NASSpace
import XCTest

/// The exact size equals the number of distinct networks found by enumerating every
/// assignment, on small spaces built to contain coinciding alternatives.
final class SizeTests: XCTestCase {
  func bruteForce(_ space: SearchSpace) throws -> Int {
    let decisions = space.decisions
    var assignment = [Int](repeating: 0, count: decisions.count)
    var hashes = Set<String>()
    while true {
      hashes.insert(try space.architecture(for: assignment).canonicalHash)
      var i = 0
      while i < assignment.count {
        assignment[i] += 1
        if assignment[i] < decisions[i].count { break }
        assignment[i] = 0
        i += 1
      }
      if i == assignment.count { break }
    }
    return hashes.count
  }

  let prefix = "input 32 channels=3\nclasses 10\nstem conv k=3 s=2 out=8 act=relu\n"
  let suffix = "head pool\nclassifier\n"

  func testSharedChoicesWithCoincidences() throws {
    // Irrelevant expansion on conv/sepconv, 0.75 x 16 rounding to 16, depth clamped at one
    // layer, skip where no residual fits: all must be counted once.
    let text = prefix
      + "block op={conv,sepconv,mbconv} k={3,5} expand={3,6} se={0,0.25} skip={none,identity} width={0.75,1,1.25} depth={-1,0,1} s=1 out=16 act=relu se-ref=input se-divisor=1\n"
      + "block op={sepconv,mbconv} k={3,5} expand={1,6} skip={none,identity} width={0.5,1} depth={-1,0} s=2 out=16 repeat=2 act={relu,hswish}\n"
      + suffix
    let space = try DSL.parseSpace(text, file: "small.space")
    let size = try space.size()
    XCTAssertEqual(size.description, String(try bruteForce(space)))
  }

  func testPerLayerChoices() throws {
    let text = prefix
      + "block op={sepconv,mbconv} k={3,5} expand={1,6} skip={none,identity} s=2 out=16 repeat=2 depth={-1,0} width={0.5,1} choose=per-layer\n"
      + suffix
    let space = try DSL.parseSpace(text, file: "small.space")
    XCTAssertEqual(try space.size().description, String(try bruteForce(space)))
  }

  func testFixedSpaceHasSizeOne() throws {
    let space = try DSL.parseSpace(prefix + suffix, file: "one.space")
    XCTAssertEqual(try space.size(), BigCount(1))
    XCTAssertTrue(space.isFixed)
  }

  func testMnasNetSpaceHas432OptionsPerBlock() throws {
    let space = try DSL.loadSpace(path: Fixtures.spacesDirectory.appendingPathComponent("mnasnet.space").path)
    let perBlock = space.decisions.filter { $0.name.hasPrefix("block1.") }.map(\.count).reduce(1, *)
    XCTAssertEqual(perBlock, 432)
    XCTAssertEqual(space.decisions.count, 49)
  }

  func testBigCountArithmetic() {
    let a = BigCount(999_999_999) * BigCount(999_999_999) + BigCount(1)
    XCTAssertEqual(a.description, "999999998000000002")
    var p = BigCount(1)
    for _ in 0..<22 { p = p * BigCount(9) }
    XCTAssertEqual(p.description, "984770902183611232881")
  }
}
