import Foundation
import NASTestSupport
import XCTest

/// `nas search --queue` on PostgreSQL with `nas worker` processes that carry distinct host ids,
/// as workers on separate machines would: every trial recorded once, and a worker killed
/// mid-evaluation has its candidate evaluated again by another.
final class QueueCommandTests: XCTestCase {
  var directory: URL!
  var db: String!

  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("nas-queue-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    try SearchCommandTests.space.write(to: directory.appendingPathComponent("tiny.space"), atomically: true, encoding: .utf8)
    db = try PostgresTestServer.freshDatabase()
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

  func searchArguments(trials: Int, batch: Int, pause: String) -> [String] {
    [
      "search", "--space", directory.appendingPathComponent("tiny.space").path, "--target-ms", "0.001", "--w", "-0.15", "--evaluator",
      SearchCommandTests.evaluator(pause: pause), "--db", db, "--queue", "--workers", String(batch), "--trials", String(trials),
      "--measure-top", "0", "--quiet", "--out", directory.path,
    ]
  }

  /// A `nas worker` in the background with its own host id.
  func startWorker(host: String) throws -> Process {
    let process = Process()
    process.executableURL = CommandRunner.binary
    process.arguments = ["worker", "--db", db, "--quiet"]
    process.environment = ProcessInfo.processInfo.environment.merging(["NAS_HOST_ID": host]) { $1 }
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    return process
  }

  /// A `nas search --queue` in the background.
  func startSearch(trials: Int, batch: Int, pause: String) throws -> BackgroundSearch {
    let process = Process()
    process.executableURL = CommandRunner.binary
    process.arguments = searchArguments(trials: trials, batch: batch, pause: pause)
    let stderr = Pipe()
    process.standardOutput = FileHandle.nullDevice
    process.standardError = stderr
    try process.run()
    return BackgroundSearch(process: process, stderr: stderr)
  }

  func stop(_ workers: [Process]) {
    for w in workers where w.isRunning { kill(w.processIdentifier, SIGKILL) }
    for w in workers { w.waitUntilExit() }
  }

  func sql(_ query: String) throws -> [[String: String]] {
    let r = try CommandRunner.run(["db", "sql", "--db", db, "--json", query])
    XCTAssertEqual(r.status, 0, r.stderr)
    return (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: String]]) ?? []
  }

  /// Trials of the search run with a finished, non-stale evaluation, each counted.
  func recordedTrials() throws -> [Int: Int] {
    let rows = try sql(
      """
      SELECT e.trial FROM evaluations e JOIN runs r ON r.id = e.run_id
      WHERE r.kind = 'search' AND e.status != 'running' AND (e.message IS NULL OR e.message NOT LIKE 'stale:%')
      """)
    return Dictionary(rows.map { (Int($0["trial"] ?? "") ?? -1, 1) }, uniquingKeysWith: +)
  }

  func testASearchWithWorkersOnTwoHostsRecordsEveryTrialOnce() throws {
    let workers = [try startWorker(host: "queue-test-a"), try startWorker(host: "queue-test-b")]
    defer { stop(workers) }
    let search = try CommandRunner.run(searchArguments(trials: 10, batch: 4, pause: "0.3"))
    XCTAssertEqual(search.status, 0, search.stderr)
    let password = try XCTUnwrap(URLComponents(string: db)?.password)
    XCTAssertFalse(search.stderr.contains(password) || search.stdout.contains(password), "the password stays out of messages")
    XCTAssertEqual(try recordedTrials(), Dictionary(uniqueKeysWithValues: (1...10).map { ($0, 1) }))
    let rows = try sql("SELECT state, worker_host, attempts FROM evaluation_queue ORDER BY trial")
    XCTAssertEqual(rows.count, 10)
    XCTAssertEqual(Set(rows.map { $0["state"] ?? "" }), ["done"])
    XCTAssert(Set(rows.map { $0["worker_host"] ?? "" }).isSubset(of: ["queue-test-a", "queue-test-b"]), "\(rows)")
    XCTAssertEqual(Set(rows.map { $0["attempts"] ?? "" }), ["1"])
    let recorded = try XCTUnwrap(try sql("SELECT command_line FROM runs WHERE kind = 'search'").first?["command_line"])
    XCTAssertFalse(recorded.contains(password), "the password is not recorded with the run")
    XCTAssert(recorded.contains("***"), recorded)
  }

  func testAnIdleWorkerStopsWhenAskedAndSaysWhatItDid() throws {
    let r = try CommandRunner.run(["worker", "--db", db, "--idle-exit", "1s", "--host-id", "idle-host", "--json", "--quiet"])
    XCTAssertEqual(r.status, 0, r.stderr)
    let summary = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    XCTAssertEqual(summary["format_version"] as? Int, 1)
    XCTAssertEqual(summary["host"] as? String, "idle-host")
    XCTAssertEqual(summary["evaluated"] as? Int, 0)
    XCTAssertNotNil(summary["wall_seconds"] as? Double)
    let bad = try CommandRunner.run(["worker", "--db", db, "--idle-exit", "soon"])
    XCTAssertEqual(bad.status, 64, "a bad option is refused before any work")
    XCTAssert(bad.stderr.contains("--idle-exit"), bad.stderr)
  }

  func testACandidateWhoseWorkerWasKilledIsEvaluatedAgainOnce() throws {
    let first = try startWorker(host: "queue-test-host")
    let search = try startSearch(trials: 2, batch: 2, pause: "2")
    // Kill the worker while it evaluates its first candidate.
    let deadline = Date().addingTimeInterval(180)
    while Date() < deadline, try sql("SELECT id FROM evaluation_queue WHERE state = 'claimed'").isEmpty {
      Thread.sleep(forTimeInterval: 0.2)
    }
    kill(first.processIdentifier, SIGKILL)
    first.waitUntilExit()
    // Another worker on the same host sees that the claim's process is gone and takes it at once.
    let second = try startWorker(host: "queue-test-host")
    defer { stop([second]) }
    XCTAssertEqual(try search.finish(), 0)
    XCTAssertEqual(try recordedTrials(), [1: 1, 2: 1])
    let attempts = try sql("SELECT attempts FROM evaluation_queue ORDER BY trial").compactMap { $0["attempts"].flatMap { Int($0) } }
    XCTAssertEqual(attempts.max(), 2, "the killed worker's candidate was claimed a second time")
  }

  func testASearchAndItsWorkerRideOutAServerRestart() throws {
    let worker = try startWorker(host: "queue-test-restart")
    defer { stop([worker]) }
    let search = try startSearch(trials: 6, batch: 2, pause: "1")
    let deadline = Date().addingTimeInterval(180)
    while Date() < deadline, try sql("SELECT id FROM evaluation_queue WHERE state = 'done'").isEmpty {
      Thread.sleep(forTimeInterval: 0.2)
    }
    // Fast shutdown: every open connection breaks, mid-transaction or idle.
    try PostgresTestServer.restart()
    XCTAssertEqual(try search.finish(), 0)
    XCTAssertEqual(try recordedTrials(), Dictionary(uniqueKeysWithValues: (1...6).map { ($0, 1) }))
    XCTAssertEqual(try sql("SELECT status FROM runs WHERE kind = 'search'").first?["status"], "finished")
  }
}

/// A search running beside the test.
struct BackgroundSearch {
  let process: Process
  let stderr: Pipe

  /// Waits for the end; its exit status, after failing the test with its messages when not 0.
  func finish(file: StaticString = #filePath, line: UInt = #line) throws -> Int32 {
    let messages = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    if process.terminationStatus != 0 { XCTFail("search exited with \(process.terminationStatus): \(messages)", file: file, line: line) }
    return process.terminationStatus
  }
}
