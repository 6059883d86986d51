import Foundation
import XCTest

/// `nas space ...` and `nas arch ...` end to end, through the built binary.
final class SpaceAndArchCommandTests: XCTestCase {
  override func setUpWithError() throws {
    XCTAssertTrue(
      FileManager.default.isExecutableFile(atPath: CommandRunner.binary.path),
      "the nas binary is not built at \(CommandRunner.binary.path)")
  }

  func temporaryFile(_ text: String, name: String) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nas-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let url = dir.appendingPathComponent(name)
    try text.write(to: url, atomically: true, encoding: .utf8)
    return url.path
  }

  func testValidateShippedFiles() throws {
    let r = try CommandRunner.run(["space", "validate", "search-spaces/mnasnet.space", "search-spaces/reference/mobilenet-v2.arch"])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertTrue(r.stdout.contains("search-spaces/mnasnet.space: ok (49 decisions"))
  }

  func testValidateReportsPositionAndHintAndFails() throws {
    let path = try temporaryFile("input 224 channels=3\nclasses 10\nstem conv k=3 s=2 out=8 act=hwsish\nhead pool\nclassifier\n", name: "bad.arch")
    let r = try CommandRunner.run(["space", "validate", path])
    XCTAssertNotEqual(r.status, 0)
    XCTAssertTrue(r.stderr.contains("\(path):3:29: unknown activation 'hwsish'"), r.stderr)
    XCTAssertTrue(r.stderr.contains("did you mean hswish?"), r.stderr)
  }

  func testArchInfoJSON() throws {
    let r = try CommandRunner.run(["arch", "info", "search-spaces/reference/mobilenet-v3-small.arch", "--json"])
    XCTAssertEqual(r.status, 0, r.stderr)
    let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
    XCTAssertEqual(object?["params"] as? Int, 2_542_856)
    XCTAssertEqual(object?["macs"] as? Int, 56_510_400)
    XCTAssertGreaterThan((object?["layers"] as? [Any])?.count ?? 0, 40)
  }

  func testArchInfoFeaturesGiveTheDetectorsNumbersAtItsResolution() throws {
    let r = try CommandRunner.run([
      "arch", "info", "search-spaces/reference/mobilenet-v3-large.arch", "--features", "8,16,32", "--resolution", "640", "--json",
    ])
    XCTAssertEqual(r.status, 0, r.stderr)
    let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
    let features = try XCTUnwrap(object?["features"] as? [String: Any])
    let taps = try XCTUnwrap(features["taps"] as? [[String: Any]])
    XCTAssertEqual(taps.map { $0["name"] as? String }, ["p3", "p4", "p5"])
    XCTAssertEqual(taps.map { $0["channels"] as? Int }, [40, 112, 960])
    XCTAssertEqual(taps.map { $0["height"] as? Int }, [80, 40, 20])
    XCTAssertEqual(features["backbone_params"] as? Int, 2_971_952)
    XCTAssertEqual(try XCTUnwrap(features["backbone_gflops"] as? Double), 3.47, accuracy: 0.005)
    XCTAssertEqual(features["input_size"] as? Int, 640)
  }

  func testArchInfoTableAndWidthOverride() throws {
    let r = try CommandRunner.run(["arch", "info", "search-spaces/reference/mnasnet-b1.arch", "--width", "0.5"])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertTrue(r.stdout.contains("params 2,218,512"), r.stdout)
  }

  func testArchRefusesASpace() throws {
    let r = try CommandRunner.run(["arch", "info", "search-spaces/mnasnet.space"])
    XCTAssertNotEqual(r.status, 0)
    XCTAssertTrue(r.stderr.contains("search-spaces/mnasnet.space:"), r.stderr)
    XCTAssertTrue(r.stderr.contains("cannot hold alternatives"), r.stderr)
  }

  func testCanonAndSampleAgree() throws {
    let sample = try CommandRunner.run(["space", "sample", "search-spaces/mobilenetv3.space", "--seed", "5", "--count", "1"])
    XCTAssertEqual(sample.status, 0, sample.stderr)
    let hashLine = sample.stdout.split(separator: "\n").first ?? ""
    let hash = hashLine.components(separatedBy: "hash ").last ?? ""
    let path = try temporaryFile(sample.stdout, name: "s.arch")
    let canon = try CommandRunner.run(["arch", "canon", path, "--hash-only"])
    XCTAssertEqual(canon.status, 0, canon.stderr)
    XCTAssertEqual(canon.stdout.trimmingCharacters(in: .whitespacesAndNewlines), hash)
  }

  func testShowPrintsExactSize() throws {
    let r = try CommandRunner.run(["space", "show", "search-spaces/repvit.space", "--json"])
    XCTAssertEqual(r.status, 0, r.stderr)
    let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
    XCTAssertEqual(object?["size"] as? String, "11943936")
  }

  func testMissingFileIsAClearError() throws {
    let r = try CommandRunner.run(["arch", "info", "no/such.arch"])
    XCTAssertNotEqual(r.status, 0)
    XCTAssertTrue(r.stderr.contains("no/such.arch:1:1: no such file"), r.stderr)
  }
}
