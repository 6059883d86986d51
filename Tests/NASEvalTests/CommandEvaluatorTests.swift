import Foundation
import NASArch
import XCTest

@testable import NASEval

final class CommandEvaluatorTests: XCTestCase {
  let arch = Architecture(
    name: "tiny", inputSize: 8, inputChannels: 1, classes: 10,
    units: [
      NASArch.Unit(role: .stem, op: .conv, kernel: 3, stride: 2, outChannels: 8, activation: .relu),
      NASArch.Unit(role: .head, op: .pool),
      NASArch.Unit(role: .classifier, op: .classifier, outChannels: 10),
    ])

  func evaluate(_ command: String, timeout: Double = 20) throws -> Result<Evaluation, EvaluationError> {
    try CommandEvaluator(configuration: .init(command: command, timeoutSeconds: timeout)).evaluate(arch)
  }

  func testAccuracyFromTheLastLineAndTheArchitectureFile() throws {
    // The command reads the file it is given and echoes the hash back as a detail check.
    let script = """
      f="$1"; grep -q '"canonical"' "$f" || exit 3; grep -q 'stem conv k=3 s=2 out=8' "$f" || exit 4
      [ "$NAS_ARCH_FILE" = "$f" ] || exit 5
      echo "training..."; echo '{"accuracy": 0.875, "epochs": 3}'
      """
    let r = try evaluate("sh -c '\(script.replacingOccurrences(of: "'", with: "'\\''"))' sh")
    let e = try r.get()
    XCTAssertEqual(e.value, 0.875)
    XCTAssertEqual(e.details["epochs"], 3)
    XCTAssertTrue(e.isAccuracy)
    XCTAssertEqual(e.evaluator, "cmd")
  }

  func testPlaceholderPutsThePathInsideTheCommand() throws {
    let e = try evaluate("test -f {} && echo '{\"accuracy\": 0.5}' || echo nofile").get()
    XCTAssertEqual(e.value, 0.5)
  }

  func testNonZeroExitKeepsTheMessage() throws {
    let r = try evaluate("echo 'CUDA out of memory' >&2; exit 7")
    guard case .failure(let f) = r else { return XCTFail("expected failure") }
    XCTAssert(f.message.contains("exited with status 7"), f.message)
    XCTAssert(f.message.contains("CUDA out of memory"), f.message)
    XCTAssertFalse(f.timedOut)
  }

  func testBadJSONAndMissingAccuracy() throws {
    for (command, expected) in [
      ("echo 'accuracy: 0.9'", "not a JSON object"), ("echo '{\"acc\": 0.9}'", "no numeric \"accuracy\""),
      ("echo '{\"accuracy\": \"high\"}'", "no numeric"), ("echo '{\"accuracy\": 91.5}'", "not in [0, 1]"), ("true", "printed nothing"),
    ] {
      // `; :` swallows the file path the evaluator appends, so only the JSON is printed.
      let r = try evaluate(command + "; :")
      guard case .failure(let f) = r else { return XCTFail("expected failure for \(command)") }
      XCTAssert(f.message.contains(expected), "\(command): \(f.message)")
    }
  }

  func testTimeoutStopsTheWholeProcessGroup() throws {
    let marker = FileManager.default.temporaryDirectory.appendingPathComponent("nas-cmd-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: marker) }
    let start = Date()
    // A shell that starts a child which would write the marker after the timeout.
    let r = try evaluate("(sleep 3; touch \(marker)) & sleep 30; echo '{\"accuracy\": 1}'", timeout: 1)
    XCTAssertLessThan(Date().timeIntervalSince(start), 10)
    guard case .failure(let f) = r else { return XCTFail("expected a timeout") }
    XCTAssertTrue(f.timedOut)
    XCTAssert(f.message.contains("timed out after 1 s"), f.message)
    Thread.sleep(forTimeInterval: 3)
    XCTAssertFalse(FileManager.default.fileExists(atPath: marker), "the child of the timed-out command kept running")
  }

  func testEmptyCommandIsRefused() {
    XCTAssertThrowsError(try CommandEvaluator(configuration: .init(command: "  ")))
    XCTAssertThrowsError(try EvaluatorFactory.make("nonsense")) { e in XCTAssert("\(e)".contains("unknown evaluator"), "\(e)") }
  }

  func testConfigurationJSONIsCanonical() throws {
    let e = try CommandEvaluator(configuration: .init(command: "./train.sh", timeoutSeconds: 60))
    XCTAssertEqual(e.configurationJSON, #"{"command":"./train.sh","evaluator":"cmd","timeout_seconds":"60.0"}"#)
  }
}
