import Foundation
import XCTest

/// Every `nas db` command on a small fixture database, through the built binary, with the
/// error paths a user meets: each fails with status 1 (64 for bad usage) and a message.
final class DBCommandTests: XCTestCase {
  /// This test's folder, for databases it makes.
  var dir: URL!
  /// Run 1 has 20 ok evaluations of 20 distinct architectures; run 2 re-evaluates the first 3.
  /// Built once for the class: the tests only read it.
  var fixture: String { Self.shared.appendingPathComponent("nas.sqlite").path }
  nonisolated(unsafe) static var shared: URL!

  static func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("nas-db-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }

  override func setUpWithError() throws {
    XCTAssertTrue(
      FileManager.default.isExecutableFile(atPath: CommandRunner.binary.path),
      "the nas binary is not built at \(CommandRunner.binary.path)")
    dir = try Self.temporaryDirectory()
    if Self.shared == nil {
      let shared = try Self.temporaryDirectory()
      for (rows, tag) in [(20, "fixture"), (3, "second")] {
        let path = shared.appendingPathComponent("nas.sqlite").path
        let r = try CommandRunner.writeRows(path, rows: rows, tag: tag)
        guard r.status == 0 else { throw FixtureError(message: r.stdout + r.stderr) }
      }
      Self.shared = shared
    }
  }

  override func tearDownWithError() throws {
    if let dir { try? FileManager.default.removeItem(at: dir) }
  }

  override class func tearDown() {
    if let shared { try? FileManager.default.removeItem(at: shared) }
    shared = nil
    super.tearDown()
  }

  struct FixtureError: Error { var message: String }

  /// `nas db <arguments> --db <database>`.
  func db(_ arguments: [String], database: String? = nil) throws -> CommandRunner.Result {
    try CommandRunner.run(["db"] + arguments + ["--db", database ?? fixture], in: dir)
  }

  func json(_ r: CommandRunner.Result, file: StaticString = #filePath, line: UInt = #line) throws -> [[String: String]] {
    XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
    return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: String]], r.stdout, file: file, line: line)
  }

  /// A failure as a user sees it: the status, a message on standard error (ArgumentParser's
  /// `Error: ` first), nothing on standard output, and no trap.
  func assertFails(
    _ r: CommandRunner.Result, status: Int32 = 1, saying messages: [String], file: StaticString = #filePath, line: UInt = #line
  ) {
    XCTAssertEqual(r.status, status, "stdout: \(r.stdout)\nstderr: \(r.stderr)", file: file, line: line)
    XCTAssertTrue(r.stderr.hasPrefix("Error: "), r.stderr, file: file, line: line)
    for message in messages { XCTAssertTrue(r.stderr.contains(message), "expected '\(message)' in: \(r.stderr)", file: file, line: line) }
    XCTAssertEqual(r.stdout, "", file: file, line: line)
    for trap in ["Fatal error", "Backtrac", "crashed"] { XCTAssertFalse(r.stderr.contains(trap), r.stderr, file: file, line: line) }
  }

  func hashes() throws -> [String] {
    try json(try db(["sql", "--json", "SELECT hash FROM architectures ORDER BY hash"])).compactMap { $0["hash"] }
  }

  // MARK: - Each command on the fixture

  func testRunsListsEveryRunNewestFirst() throws {
    let table = try db(["runs"])
    XCTAssertEqual(table.status, 0, table.stderr)
    XCTAssertTrue(table.stdout.hasPrefix("id  kind   name     status"), table.stdout)
    XCTAssertTrue(table.stdout.contains("fixture"), table.stdout)
    let runs = try json(try db(["runs", "--json"]))
    XCTAssertEqual(runs.map { $0["id"] }, ["2", "1"])
    XCTAssertEqual(runs.map { $0["name"] }, ["second", "fixture"])
    XCTAssertEqual(runs.map { $0["evaluations"] }, ["3", "20"])
    XCTAssertEqual(runs.map { $0["best_reward"] }, ["0.5500", "0.7600"])
  }

  func testTopLimitsOrdersAndFiltersByRun() throws {
    XCTAssertEqual(try json(try db(["top", "--json"])).count, 10)
    // Reward is accuracy minus latency / 100: trial 10 (0.86 at 10 ms) beats trial 20 (0.86 at 10.5 ms).
    XCTAssertEqual(try json(try db(["top", "--json", "-n", "4"])).map { $0["evaluation"] }, ["10", "20", "9", "19"])
    XCTAssertEqual(try json(try db(["top", "--json", "--by", "reward", "-n", "1"])).first?["reward"], "0.76")
    let second = try json(try db(["top", "--json", "--run", "2", "-n", "50"]))
    XCTAssertEqual(second.map { $0["run"] }, ["2", "2", "2"])
    XCTAssertEqual(second.map { $0["evaluation"] }, ["23", "22", "21"])
    XCTAssertEqual(try json(try db(["top", "--json", "--by", "latency", "-n", "3"])).map { $0["predicted_ms"] }, ["1.0", "1.0", "1.5"])
    XCTAssertEqual(try json(try db(["top", "--json", "--by", "accuracy", "-n", "3"])).map { $0["accuracy"] }, ["0.86", "0.86", "0.82"])
    let table = try db(["top", "-n", "1"])
    XCTAssertEqual(table.status, 0, table.stderr)
    XCTAssertTrue(table.stdout.hasPrefix("evaluation  run  trial  hash"), table.stdout)
  }

  func testShowAnEvaluationAndAnArchitecture() throws {
    let evaluation = try json(try db(["show", "--json", "3"]))
    XCTAssertEqual(evaluation.count, 1)
    XCTAssertEqual(evaluation.first?["id"], "3")
    XCTAssertEqual(evaluation.first?["trial"], "3")
    XCTAssertTrue(evaluation.first?["canonical_text"]?.contains("stem conv k=3 s=2 out=8 act=relu") ?? false)

    let hash = try XCTUnwrap(hashes().first)
    let architecture = try json(try db(["show", "--json", String(hash.prefix(12)).uppercased()]))
    XCTAssertEqual(architecture.map { $0["hash"] }, [hash])
    XCTAssertTrue(architecture.first?["canonical_text"]?.hasPrefix("input ") ?? false)
    let table = try db(["show", String(hash.prefix(8))])
    XCTAssertEqual(table.status, 0, table.stderr)
    XCTAssertTrue(table.stdout.contains(hash), table.stdout)
  }

  func testParetoFront() throws {
    // Trials 1-10 gain accuracy with every millisecond; trials 11-20 repeat them half a millisecond slower.
    let front = try json(try db(["pareto", "--json", "--run", "1"]))
    XCTAssertEqual(front.map { $0["evaluation"] }, (1...10).map(String.init))
    XCTAssertEqual(front.first?["accuracy"], "0.5")
    XCTAssertEqual(front.first?["predicted_latency_ms"], "1.0")
    XCTAssertEqual(front.last?["accuracy"], "0.86")
    XCTAssertEqual(front.last?["predicted_latency_ms"], "10.0")
    let table = try db(["pareto", "--run", "2"])
    XCTAssertEqual(table.status, 0, table.stderr)
    XCTAssertTrue(table.stdout.hasPrefix("evaluation  trial  hash"), table.stdout)
    XCTAssertEqual(table.stdout.split(separator: "\n").count, 2 + 3)
  }

  func testExportCSVAndJSON() throws {
    let csv = try db(["export", "--run", "1"])
    XCTAssertEqual(csv.status, 0, csv.stderr)
    let lines = csv.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
    XCTAssertEqual(
      lines.first,
      "evaluation,trial,hash,status,accuracy,predicted_latency_ms,measured_latency_ms,reward,reused,evaluator,message,macs,params")
    XCTAssertEqual(lines.count, 21)
    XCTAssertTrue(lines.allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false).count == 13 }, csv.stdout)
    XCTAssertEqual(try db(["export", "--run", "1", "--format", "csv"]).stdout, csv.stdout)

    let objects = try json(try db(["export", "--run", "2", "--format", "json"]))
    XCTAssertEqual(objects.map { $0["trial"] }, ["1", "2", "3"])
    XCTAssertTrue(objects.allSatisfy { $0["status"] == "ok" && $0["hash"]?.count == 64 })
  }

  func testSQLRunsAQuery() throws {
    XCTAssertEqual(try json(try db(["sql", "--json", "SELECT COUNT(*) AS n FROM evaluations"])), [["n": "23"]])
    let table = try db(["sql", "SELECT kind, name FROM runs ORDER BY id"])
    XCTAssertEqual(table.status, 0, table.stderr)
    XCTAssertTrue(table.stdout.contains("bench  fixture"), table.stdout)
    // Repeated column names used to trap building the JSON object; SQLite's suffix tells them apart.
    XCTAssertEqual(try json(try db(["sql", "--json", "SELECT 1 AS a, 2 AS a, 3 AS a"])), [["a": "1", "a:1": "2", "a:2": "3"]])
    let joined = try json(try db(["sql", "--json", "SELECT * FROM evaluations e JOIN architectures a ON a.hash = e.architecture_hash LIMIT 1"]))
    XCTAssertNotNil(joined.first?["created_at:1"])
  }

  // MARK: - Errors on the fixture

  func testUnknownRunIsAnError() throws {
    for command in [["top", "--run", "99"], ["pareto", "--run", "99"], ["export", "--run", "99"], ["export", "--run", "99", "--format", "json"]] {
      assertFails(try db(command), saying: ["no run 99", "nas db runs"])
    }
  }

  func testShowUnknownAndAmbiguousKeys() throws {
    let all = try hashes()
    // Prefixes made of letters, so they cannot be read as evaluation ids.
    let letterPrefixes = "abcdef".flatMap { a in "abcdef".map { b in String([a, b]) } }
    let unused = try XCTUnwrap(letterPrefixes.first { p in !all.contains { $0.hasPrefix(p) } })
    assertFails(try db(["show", unused]), saying: ["no architecture with a hash starting \(unused)"])
    XCTAssertFalse(all.contains { $0.hasPrefix("99999") })
    assertFails(try db(["show", "99999"]), saying: ["no evaluation 99999 or architecture with a hash starting 99999"])
    assertFails(try db(["show", "xyz"]), saying: ["'xyz'", "give an evaluation id or a hash prefix"])

    let shared = try XCTUnwrap(
      "abcdef".map(String.init).first { p in all.filter { $0.hasPrefix(p) }.count >= 2 },
      "the fixture has no two hashes starting with the same letter")
    let candidates = all.filter { $0.hasPrefix(shared) }
    assertFails(
      try db(["show", shared]), saying: ["hash prefix \(shared) is ambiguous", "give more characters"] + candidates.map { String($0.prefix(16)) })
  }

  func testUnknownOrderingIsAnError() throws {
    assertFails(try db(["top", "--by", "speed"]), saying: ["ordering 'speed'", "use reward, accuracy or latency"])
  }

  func testBadExportFormatIsAUsageError() throws {
    assertFails(try db(["export", "--run", "1", "--format", "xml"]), status: 64, saying: ["'xml' is invalid for '--format", "csv", "json"])
  }

  func testSQLRefusesWritesAndLeavesTheDatabaseAlone() throws {
    for statement in [
      "DELETE FROM runs", "DROP TABLE evaluations", "INSERT INTO run_state VALUES (1, 'k', x'00', 'now')", "UPDATE runs SET name = 'x'",
      "PRAGMA journal_mode = DELETE", "CREATE TABLE t (x)",
    ] {
      assertFails(try db(["sql", statement]), saying: ["only statements that read are allowed"])
    }
    assertFails(try db(["sql", "SELECT 1; DELETE FROM runs"]), saying: ["one statement at a time"])
    assertFails(try db(["sql", "SELECT 1; this is not SQL"]), saying: ["one statement at a time"])
    XCTAssertEqual(try json(try db(["sql", "--json", "SELECT COUNT(*) AS n FROM runs WHERE name IN ('fixture', 'second')"])), [["n": "2"]])
    XCTAssertEqual(try json(try db(["sql", "--json", "SELECT COUNT(*) AS n FROM evaluations"])), [["n": "23"]])
  }

  func testInvalidSQLIsAnError() throws {
    assertFails(try db(["sql", "SELEC 1"]), saying: ["near \"SELEC\": syntax error"])
    assertFails(try db(["sql", "SELECT * FROM no_such_table"]), saying: ["no such table: no_such_table"])
    assertFails(try db(["sql", "SELECT nope FROM runs"]), saying: ["no such column: nope"])
    assertFails(try db(["sql", "  "]), saying: ["no SQL statement given"])
  }

  // MARK: - Databases that cannot be opened

  /// Runs `sqlite3` on a file, for fixtures nas itself would never write.
  func sqlite3(_ path: String, _ sql: String) throws {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
    p.arguments = [path, sql]
    try p.run()
    p.waitUntilExit()
    XCTAssertEqual(p.terminationStatus, 0, sql)
  }

  /// Every `nas db` command refuses the file with the same message and leaves it as it was.
  func assertEveryCommandRefuses(_ path: String, saying messages: [String], file: StaticString = #filePath, line: UInt = #line) throws {
    let before = FileManager.default.contents(atPath: path)
    for command in [
      ["runs"], ["top", "--run", "1"], ["show", "1"], ["pareto", "--run", "1"], ["export", "--run", "1", "--format", "json"],
      ["sql", "SELECT 1"],
    ] {
      assertFails(try db(command, database: path), saying: [path + ":"] + messages, file: file, line: line)
    }
    XCTAssertEqual(FileManager.default.contents(atPath: path), before, "\(path) changed", file: file, line: line)
  }

  func testMissingDatabase() throws {
    let path = dir.appendingPathComponent("none/nas.sqlite").path
    try assertEveryCommandRefuses(path, saying: ["no such database", "pass --db PATH"])
    XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("none").path), "a read-only command created a folder")
  }

  func testFileThatIsNotSQLite() throws {
    let path = dir.appendingPathComponent("notes.sqlite").path
    try "hello, not a database\n".write(toFile: path, atomically: true, encoding: .utf8)
    try assertEveryCommandRefuses(path, saying: ["not a nas results database (not a SQLite database)", "pass another --db"])
  }

  func testEmptyFile() throws {
    let path = dir.appendingPathComponent("empty.sqlite").path
    XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data()))
    try assertEveryCommandRefuses(path, saying: ["not a nas results database (it is empty)", "pass another --db"])
  }

  func testSQLiteWithoutTheNasSchema() throws {
    let path = dir.appendingPathComponent("other.sqlite").path
    try sqlite3(path, "CREATE TABLE runs (id INTEGER PRIMARY KEY, what TEXT); INSERT INTO runs VALUES (1, 'not ours');")
    try assertEveryCommandRefuses(path, saying: ["not a nas results database (it has tables but no nas schema)", "pass another --db"])
  }

  func testDatabaseFromANewerSchema() throws {
    let path = dir.appendingPathComponent("newer.sqlite").path
    XCTAssertEqual(try CommandRunner.writeRows(path, rows: 1).status, 0)
    try sqlite3(path, "INSERT INTO grdb_migrations (identifier) VALUES ('v99-from-the-future')")
    try assertEveryCommandRefuses(path, saying: ["written by a newer nas", "v99-from-the-future", "upgrade nas"])
  }
}
