import Foundation
import XCTest

/// `nas latency measure` end to end, through the built binary.
final class LatencyMeasureCommandTests: XCTestCase {
  func testPerUnitTimingsGoIntoTheJSONObject() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nas-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let arch = dir.appendingPathComponent("tiny.arch")
    try """
      input 32 channels=3
      classes 10
      stem conv k=3 s=2 out=16 act=hswish
      block mbconv k=3 s=1 mid=48 out=16 act=relu se=0.25 skip=identity
      head pool
      classifier
      """.write(to: arch, atomically: true, encoding: .utf8)
    let r = try CommandRunner.run(["latency", "measure", arch.path, "--per-unit", "--json", "--rounds", "2", "--round-ms", "2"])
    XCTAssertEqual(r.status, 0, r.stderr)
    let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout)
    let units = try XCTUnwrap(object["units"] as? [[String: Any]])
    XCTAssertEqual(units.count, 4)
    XCTAssertEqual(units.first?["key"] as? String, "conv k=3 s=2 out=16 act=hswish @ 32x32x3")
    let sum = units.compactMap { $0["latency_us"] as? Double }.reduce(0, +)
    XCTAssertEqual(try XCTUnwrap(object["units_ms"] as? Double), sum / 1000, accuracy: 1e-9)
    XCTAssertGreaterThanOrEqual(try XCTUnwrap(object["median_ms"] as? Double), try XCTUnwrap(object["latency_ms"] as? Double))
  }
}
