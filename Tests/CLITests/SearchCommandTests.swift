import Foundation
import XCTest

/// `nas search` through the built binary, on a small space and a command evaluator that
/// answers in a moment: the whole path (latency tables, run, workers, outputs, JSON), and a
/// run killed with SIGKILL and resumed.
final class SearchCommandTests: XCTestCase {
  static let space = """
    input 32 channels=3
    classes 10
    stem conv k=3 s=2 out=8 act=relu
    block op={sepconv,mbconv} k={3,5} expand={3,6} s=2 out=16 act={relu,hswish} depth={-1,0} repeat=2
    block mbconv k={3,5} expand={3,6} s=2 out=24 se={0,0.25}
    head pool
    classifier
    """

  /// A deterministic stand-in for accuracy (from the architecture file's size), a little slow
  /// so a kill lands between evaluations. The file path is appended as `$1`.
  /// Another pause makes another evaluator configuration, so one run does not reuse another's results.
  static func evaluator(pause: String = "0.15") -> String {
    #"cmd:sh -c 'sleep "# + pause + #"; n=$(wc -c < "$1"); echo "{\"accuracy\": 0.$((n % 89 + 10))}"' sh"#
  }

  var directory: URL!

  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("nas-search-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    try Self.space.write(to: directory.appendingPathComponent("tiny.space"), atomically: true, encoding: .utf8)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

  var db: String { directory.appendingPathComponent("nas.sqlite").path }

  func arguments(pause: String) -> [String] {
    [
      "search", "--space", directory.appendingPathComponent("tiny.space").path, "--target-ms", "0.001", "--w", "-0.15", "--evaluator",
      Self.evaluator(pause: pause), "--db", db, "--quiet", "--measure-top", "2",
    ]
  }

  func search(_ extra: [String], pause: String = "0.15") throws -> CommandRunner.Result {
    try CommandRunner.run(arguments(pause: pause) + extra)
  }

  func sql(_ query: String) throws -> [[String: String]] {
    let r = try CommandRunner.run(["db", "sql", "--db", db, "--json", query])
    XCTAssertEqual(r.status, 0, r.stderr)
    return (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: String]]) ?? []
  }

  /// Trial → hash of the run's finished, non-stale evaluations; fails on a trial recorded twice.
  func trials(run: String) throws -> [Int: String] {
    let rows = try sql(
      "SELECT trial, architecture_hash FROM evaluations WHERE run_id = \(run) AND status != 'running' AND (message IS NULL OR message NOT LIKE 'stale:%')")
    var out: [Int: String] = [:]
    for row in rows {
      let t = Int(row["trial"] ?? "") ?? -1
      XCTAssertNil(out[t], "trial \(t) recorded twice")
      out[t] = row["architecture_hash"]
    }
    return out
  }

  func testSearchRecordsEveryTrialAndWritesItsOutputs() throws {
    let r = try search(["--trials", "6", "--workers", "2", "--strategy", "evolution", "--population", "4", "--tournament", "2", "--json"])
    XCTAssertEqual(r.status, 0, r.stderr)
    let summary = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    for key in ["run", "best_hash", "best_reward", "best_latency_ms", "best_accuracy", "trials"] {
      XCTAssertNotNil(summary[key], "missing \(key) in \(r.stdout)")
    }
    XCTAssertEqual(summary["trials"] as? Int, 6)
    XCTAssertEqual(try trials(run: "\(summary["run"]!)").keys.sorted(), Array(1...6))
    // The latency tables were measured first, under a bench run.
    XCTAssertEqual(try sql("SELECT COUNT(*) AS n FROM runs WHERE kind = 'bench' AND status = 'finished'").first?["n"], "1")
    XCTAssert(r.stderr.contains("is below every architecture of the space"), r.stderr)
    let files = try XCTUnwrap(summary["files"] as? [String: String])
    let arch = try XCTUnwrap(files["best_architecture"])
    XCTAssertEqual(URL(fileURLWithPath: arch).lastPathComponent, "nas-search-run-\(summary["run"]!)-best.arch")
    let info = try CommandRunner.run(["arch", "info", arch, "--json"])
    XCTAssertEqual(info.status, 0, info.stderr)
    XCTAssert(try String(contentsOfFile: try XCTUnwrap(files["plot"]), encoding: .utf8).hasPrefix("<svg"))
    XCTAssertFalse(try sql("SELECT measured_latency_ms FROM evaluations WHERE measured_latency_ms IS NOT NULL").isEmpty)
  }

  /// Two databases in one folder (the same run number in each, after each one's bench run):
  /// each writes files named after itself.
  func testTwoDatabasesInOneFolderKeepTheirOwnOutputs() throws {
    var written: [String] = [], expected: [String] = [], runs: [Int] = []
    for name in ["first", "second"] {
      let r = try CommandRunner.run([
        "search", "--space", directory.appendingPathComponent("tiny.space").path, "--target-ms", "1", "--w", "-0.15", "--evaluator",
        Self.evaluator(pause: "0"), "--db", directory.appendingPathComponent("\(name).sqlite").path, "--quiet", "--measure-top", "0",
        "--trials", "2", "--strategy", "random", "--json",
      ])
      XCTAssertEqual(r.status, 0, r.stderr)
      let summary = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
      let run = try XCTUnwrap(summary["run"] as? Int)
      runs.append(run)
      let files = try XCTUnwrap(summary["files"] as? [String: String])
      written += [try XCTUnwrap(files["best_architecture"]), try XCTUnwrap(files["plot"])]
      expected += ["\(name)-search-run-\(run)-best.arch", "\(name)-search-run-\(run).svg"]
    }
    XCTAssertEqual(runs[0], runs[1], "the case this test is about: one run number in both databases")
    XCTAssertEqual(written.map { URL(fileURLWithPath: $0).lastPathComponent }, expected)
    for path in written { XCTAssert(FileManager.default.fileExists(atPath: path), path) }
  }

  func testKilledSearchResumesWithEveryTrialOnceAndTheSameCandidates() throws {
    let common = ["--trials", "14", "--strategy", "evolution", "--population", "4", "--tournament", "2", "--seed", "5"]
    let reference = try search(common + ["--name", "whole"])
    XCTAssertEqual(reference.status, 0, reference.stderr)

    let process = Process()
    process.executableURL = CommandRunner.binary
    process.arguments = arguments(pause: "0.2") + ["--name", "killed"] + common
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    var done = 0
    let deadline = Date().addingTimeInterval(60)
    while done < 5 && Date() < deadline {
      Thread.sleep(forTimeInterval: 0.1)
      done = Int(try sql("SELECT COUNT(*) AS n FROM evaluations e JOIN runs r ON r.id = e.run_id WHERE r.name = 'killed' AND e.status = 'ok'").first?["n"] ?? "0") ?? 0
    }
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    XCTAssertGreaterThanOrEqual(done, 5)
    XCTAssertEqual(try sql("SELECT status FROM runs WHERE name = 'killed'").first?["status"], "running")

    // Other settings are refused with what differs.
    let refused = try search(["--trials", "14", "--strategy", "random", "--seed", "5", "--name", "killed", "--resume"], pause: "0.2")
    XCTAssertNotEqual(refused.status, 0)
    XCTAssert(refused.stderr.contains("strategy: evolution → random"), refused.stderr)

    let resumed = try search(common + ["--name", "killed", "--resume"], pause: "0.2")
    XCTAssertEqual(resumed.status, 0, resumed.stderr)
    let runs = try sql("SELECT id, name, status FROM runs WHERE kind = 'search' ORDER BY id")
    XCTAssertEqual(runs.map { $0["status"] }, ["finished", "finished"])
    let whole = try trials(run: runs[0]["id"]!)
    let killed = try trials(run: runs[1]["id"]!)
    XCTAssertEqual(killed.keys.sorted(), Array(1...14))
    XCTAssertEqual(killed, whole, "the resumed search proposed other candidates than the uninterrupted one")
    let total = try sql("SELECT COUNT(*) AS n FROM evaluations WHERE run_id = \(runs[1]["id"]!)").first?["n"]
    print("kill -9 after \(done) evaluations; resumed to 14 trials; \(total ?? "?") evaluation rows (stale ones included)")
  }
}
