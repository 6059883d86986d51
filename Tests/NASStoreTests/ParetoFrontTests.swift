import NASStore
import XCTest

final class ParetoFrontTests: XCTestCase {
  func testFrontKeepsOnlyUndominatedPoints() {
    let points: [(latency: Double, accuracy: Double)] = [(3, 0.9), (1, 0.7), (2, 0.7), (2, 0.85), (4, 0.88), (1, 0.6), (5, 0.95)]
    XCTAssertEqual(ParetoFront.indices(points), [1, 3, 0, 6])
    XCTAssertEqual(ParetoFront.indices([]), [])
  }
}
