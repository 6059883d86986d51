import Foundation
import XCTest

/// One owner per run, through the built binary: a second `--resume` of a live search is
/// refused, two `--resume`s at once after a crash record every trial once, SIGTERM marks a run
/// interrupted, and a damaged database is refused before the search writes anything.
final class RunOwnershipCommandTests: XCTestCase {
  var directory: URL!

  /// A database with the tiny space's latency tables, measured once for every test here.
  nonisolated(unsafe) static var template: Data?

  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("nas-owner-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    try SearchCommandTests.space.write(to: directory.appendingPathComponent("tiny.space"), atomically: true, encoding: .utf8)
    if Self.template == nil {
      let r = try CommandRunner.run(arguments(["--trials", "1", "--name", "tables"]))
      XCTAssertEqual(r.status, 0, r.stderr)
      let checkpoint = try sqlite3(db, "PRAGMA wal_checkpoint(TRUNCATE)")
      XCTAssertEqual(checkpoint, 0)
      Self.template = try Data(contentsOf: URL(fileURLWithPath: db))
    } else {
      try Self.template!.write(to: URL(fileURLWithPath: db))
    }
  }

  func sqlite3(_ path: String, _ statement: String) throws -> Int32 {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
    p.arguments = [path, statement]
    p.standardOutput = FileHandle.nullDevice
    try p.run()
    p.waitUntilExit()
    return p.terminationStatus
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

  var db: String { directory.appendingPathComponent("nas.sqlite").path }

  /// A search of 12 trials whose evaluations take `pause` seconds each, so the run is still
  /// alive when another process tries to resume it.
  func arguments(_ extra: [String], pause: String = "0.3") -> [String] {
    [
      "search", "--space", directory.appendingPathComponent("tiny.space").path, "--target-ms", "0.001", "--w", "-0.15", "--evaluator",
      SearchCommandTests.evaluator(pause: pause), "--db", db, "--quiet", "--measure-top", "0", "--trials", "12", "--strategy", "random",
      "--seed", "3", "--name", "owned",
    ] + extra
  }

  func launch(_ extra: [String], pause: String = "0.3") throws -> (Process, Pipe) {
    let p = Process()
    p.executableURL = CommandRunner.binary
    p.arguments = arguments(extra, pause: pause)
    let err = Pipe()
    p.standardOutput = FileHandle.nullDevice
    p.standardError = err
    try p.run()
    return (p, err)
  }

  func finish(_ launched: (Process, Pipe)) -> (status: Int32, stderr: String) {
    let data = launched.1.fileHandleForReading.readDataToEndOfFile()
    launched.0.waitUntilExit()
    return (launched.0.terminationStatus, String(decoding: data, as: UTF8.self))
  }

  func sql(_ query: String) throws -> [[String: String]] {
    let r = try CommandRunner.run(["db", "sql", "--db", db, "--json", query])
    XCTAssertEqual(r.status, 0, r.stderr)
    return (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: String]]) ?? []
  }

  /// The trials of the run named `owned` that have a finished, non-stale evaluation.
  func finishedTrials() throws -> [Int] {
    try sql(
      """
      SELECT trial FROM evaluations WHERE run_id = (SELECT id FROM runs WHERE name = 'owned') AND status != 'running'
        AND (message IS NULL OR message NOT LIKE 'stale:%') ORDER BY trial
      """
    ).compactMap { $0["trial"].flatMap { Int($0) } }
  }

  func ownedRunStatus() throws -> [String?] { try sql("SELECT status FROM runs WHERE name = 'owned'").map { $0["status"] } }

  /// Waits until the search has committed `n` trials (the database may not exist yet).
  func waitForTrials(_ n: Int) throws {
    let deadline = Date().addingTimeInterval(120)
    let query = "SELECT COUNT(*) AS n FROM evaluations e JOIN runs r ON r.id = e.run_id WHERE r.name = 'owned' AND e.status = 'ok'"
    while Date() < deadline {
      let r = try CommandRunner.run(["db", "sql", "--db", db, "--json", query])
      let rows = r.status == 0 ? (try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8))) as? [[String: String]] : nil
      if let count = rows?.first?["n"].flatMap({ Int($0) }), count >= n { return }
      Thread.sleep(forTimeInterval: 0.1)
    }
    XCTFail("the search did not commit \(n) trials in time")
  }

  func testASecondResumeOfALiveRunIsRefusedAndTheRunEndsWithEveryTrialOnce() throws {
    let first = try launch([], pause: "1")
    try waitForTrials(2)
    let second = try CommandRunner.run(arguments(["--resume"], pause: "1"))
    XCTAssertNotEqual(second.status, 0, second.stderr)
    XCTAssert(second.stderr.contains("is in use by process \(first.0.processIdentifier)"), second.stderr)
    XCTAssert(second.stderr.contains("heartbeat"), second.stderr)
    let done = finish(first)
    XCTAssertEqual(done.status, 0, done.stderr)
    XCTAssertEqual(try finishedTrials(), Array(1...12))
    XCTAssertEqual(try ownedRunStatus(), ["finished"])
  }

  func testTwoResumesAtOnceAfterAKillRecordEveryTrialOnceAndOneIsRefused() throws {
    let killed = try launch([], pause: "1")
    try waitForTrials(3)
    kill(killed.0.processIdentifier, SIGKILL)
    _ = finish(killed)
    let a = try launch(["--resume"], pause: "1"), b = try launch(["--resume"], pause: "1")
    let results = [finish(a), finish(b)]
    XCTAssertEqual(results.filter { $0.status == 0 }.count, 1, results.map(\.stderr).joined(separator: "\n---\n"))
    let refused = try XCTUnwrap(results.first { $0.status != 0 })
    XCTAssert(refused.stderr.contains("is in use by process"), refused.stderr)
    XCTAssertEqual(try finishedTrials(), Array(1...12))
    XCTAssertEqual(try ownedRunStatus(), ["finished"])
  }

  func testSIGTERMFinishesTheTrialsInFlightAndMarksTheRunInterrupted() throws {
    let running = try launch([])
    try waitForTrials(2)
    kill(running.0.processIdentifier, SIGTERM)
    let done = finish(running)
    XCTAssertEqual(done.status, 130, done.stderr)  // as after Ctrl-C: interrupted, resumable
    XCTAssertEqual(try ownedRunStatus(), ["interrupted"])
    XCTAssertEqual(try sql("SELECT COUNT(*) AS n FROM evaluations WHERE status = 'running'").first?["n"], "0")
    let resumed = try CommandRunner.run(arguments(["--resume"]))
    XCTAssertEqual(resumed.status, 0, resumed.stderr)
    XCTAssertEqual(try finishedTrials(), Array(1...12))
  }

  func testADamagedDatabaseIsRefusedBeforeTheSearchWrites() throws {
    // Overwrite the evaluations' first page, as a disk error or a stray write would.
    let page = try XCTUnwrap(Int(try sql("SELECT rootpage FROM sqlite_master WHERE name = 'evaluations'").first?["rootpage"] ?? ""))
    let pageSize = try XCTUnwrap(Int(try sql("PRAGMA page_size").first?["page_size"] ?? ""))
    let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: db))
    try handle.seek(toOffset: UInt64((page - 1) * pageSize))
    handle.write(Data(repeating: 0x5A, count: pageSize))
    try handle.close()
    let before = try Data(contentsOf: URL(fileURLWithPath: db))
    let second = try CommandRunner.run(arguments(["--trials", "2", "--name", "again"]))
    XCTAssertNotEqual(second.status, 0)
    XCTAssert(second.stderr.contains("the database is damaged, so nothing was written"), second.stderr)
    XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: db)), before)
  }

  /// As an unprivileged user (root writes anywhere), a database in a read-only folder is named
  /// for what it is.
  func testADatabaseInAReadOnlyFolderIsNotCalledNotSQLite() throws {
    let folder = directory.appendingPathComponent("readonly")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let path = folder.appendingPathComponent("nas.sqlite").path
    let made = try CommandRunner.writeRows(path, rows: 2)
    XCTAssertEqual(made.status, 0, made.stderr)
    for item in try FileManager.default.contentsOfDirectory(atPath: folder.path) where item.hasSuffix("-wal") || item.hasSuffix("-shm") {
      try FileManager.default.removeItem(atPath: folder.appendingPathComponent(item).path)
    }
    try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: folder.path)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
    defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.path) }
    let command = getuid() == 0
      ? ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", CommandRunner.binary.path]
      : [CommandRunner.binary.path]
    let p = Process()
    p.executableURL = URL(fileURLWithPath: command[0])
    p.arguments = Array(command.dropFirst()) + ["db", "runs", "--db", path]
    let err = Pipe()
    p.standardError = err
    p.standardOutput = FileHandle.nullDevice
    try p.run()
    let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    try XCTSkipIf(stderr.contains("Permission denied") && !stderr.contains(path), "the unprivileged user cannot run the test binary here")
    XCTAssertNotEqual(p.terminationStatus, 0)
    XCTAssertFalse(stderr.contains("not a SQLite database"), stderr)
    XCTAssert(stderr.contains("is not writable"), stderr)
  }
}
