import NASArch
import NASSpace
import NASSupport
import XCTest

final class ExtremesTests: XCTestCase {
  func testMACsRangeMatchesEnumeration() throws {
    let text = """
      input 32 channels=3
      classes 10
      stem conv k=3 s=2 out=8 act=relu
      block op={conv,sepconv,mbconv} k={3,5} expand={3,6} width={0.75,1,1.5} depth={-1,0} s=1 out=16 repeat=2 act=relu
      block op={sepconv,mbconv} k={3,5} expand={1,6} s=2 out=24 repeat=2 choose=per-layer
      head pool
      classifier
      """
    let space = try DSL.parseSpace(text, file: "t.space")
    let (lo, hi) = try space.extremes { config in
      Double(try config.unit.place(input: config.input, index: 0).macs)
    }
    var seen: [Double] = []
    var rng = SeededGenerator(seed: 1)
    for _ in 0..<3000 { seen.append(Double(try space.sample(using: &rng).costs().macs)) }
    XCTAssertEqual(lo, seen.min()!)
    XCTAssertEqual(hi, seen.max()!)
  }
}
