import Foundation
import GRDB
import NASTestSupport
import XCTest

@testable import NASStore

/// The libpq client against a real server (PostgresTestServer): values survive the trip exactly,
/// `?` placeholders are numbered only where they are placeholders, and failures (bad SQL, a
/// wrong password, a cancel, a killed backend) come back as the right PostgresError.
final class PostgresConnectionTests: XCTestCase {
  var url: String!
  var connection: PostgresConnection!

  override func setUpWithError() throws {
    url = try PostgresTestServer.freshDatabase()
    connection = try PostgresConnection(url: url)
  }

  override func tearDown() {
    connection = nil
  }

  struct Item: FetchableRecord, Decodable, Equatable {
    var i: Int64?
    var d: Double?
    var s: String?
    var b: Data?
  }

  func testEveryTypeRoundTrips() throws {
    try connection.executeScript(
      """
      CREATE TABLE t (id BIGINT PRIMARY KEY, i BIGINT, d DOUBLE PRECISION, s TEXT, b BYTEA);
      CREATE INDEX t_i ON t (i);
      """)
    let text = "it's \"quoted\" -- not a comment ? /* nor this */ ünïcødé 🎉 \\x00"
    let blob = Data([0, 1, 0, 255, 0, 10, 13])
    let inserted: [[DatabaseValue]] = [
      [1.databaseValue, .null, .null, .null, .null],
      [2.databaseValue, Int64.max.databaseValue, 0.1.databaseValue, text.databaseValue, blob.databaseValue],
      [3.databaseValue, Int64.min.databaseValue, (-1.5e300).databaseValue, "".databaseValue, Data().databaseValue],
      [4.databaseValue, 0.databaseValue, (0.1 + 0.2).databaseValue, "?".databaseValue, Data([0]).databaseValue],
    ]
    for values in inserted {
      let result = try connection.execute("INSERT INTO t (id, i, d, s, b) VALUES (?, ?, ?, ?, ?)", values)
      XCTAssertEqual(result.changes, 1)
    }
    let result = try connection.execute("SELECT i, d, s, b FROM t ORDER BY id")
    XCTAssertEqual(result.columns, ["i", "d", "s", "b"])
    XCTAssertEqual(result.rows.count, 4)
    for (row, values) in zip(result.rows, inserted) {
      XCTAssertEqual(row["i"] as DatabaseValue, values[1])
      XCTAssertEqual(row["d"] as DatabaseValue, values[2])
      XCTAssertEqual(row["s"] as DatabaseValue, values[3])
      XCTAssertEqual(row["b"] as DatabaseValue, values[4])
    }
    XCTAssertEqual(result.rows[1]["d"] as Double, 0.1)
    XCTAssertEqual(result.rows[3]["d"] as Double, 0.1 + 0.2)
    XCTAssertEqual(try Item(row: result.rows[1]), Item(i: Int64.max, d: 0.1, s: text, b: blob))
    XCTAssertEqual(try Item(row: result.rows[0]), Item(i: nil, d: nil, s: nil, b: nil))
    XCTAssertEqual(result.cells[0], [nil, nil, nil, nil])
    XCTAssertEqual(result.cells[1], ["9223372036854775807", "0.1", text, "\\x000100ff000a0d"])

    // Other types: bool as 1/0, small ints, numeric and NULL of any type; unknown types as text.
    let other = try connection.execute(
      "SELECT true AS yes, false AS no, 7::int2 AS small, 8::int4 AS int, 2.5::numeric AS num, 1.5::real AS real, "
        + "NULL::int AS nothing, '2024-01-02 03:04:05+00'::timestamptz AS stamp, ? AS param", ["x".databaseValue])
    XCTAssertEqual(other.cells[0], ["1", "0", "7", "8", "2.5", "1.5", nil, "2024-01-02 03:04:05+00", "x"])
    let row = other.rows[0]
    XCTAssertEqual(row["yes"] as Int64, 1)
    XCTAssertEqual(row["no"] as Bool, false)
    XCTAssertEqual(row["small"] as Int64, 7)
    XCTAssertEqual(row["num"] as Double, 2.5)
    XCTAssertEqual(row["nothing"] as DatabaseValue, .null)
    XCTAssertEqual(row["stamp"] as String, "2024-01-02 03:04:05+00")
  }

  func testPlaceholdersAreNumberedOnlyOutsideQuotesAndComments() throws {
    let sql = """
      SELECT ? AS a, '?' AS "b?", 'it''s ?' AS c, E'\\' ?' AS d, $x$ ? $x$ AS e, -- ? here
      /* ? /* nested ? */ ? */ ?::text AS f, $1
      """
    let (numbered, count) = PostgresSQL.numberPlaceholders(sql)
    XCTAssertEqual(count, 2)
    XCTAssertEqual(
      numbered,
      """
      SELECT $1 AS a, '?' AS "b?", 'it''s ?' AS c, E'\\' ?' AS d, $x$ ? $x$ AS e, -- ? here
      /* ? /* nested ? */ ? */ $2::text AS f, $1
      """)
    XCTAssertEqual(PostgresSQL.numberPlaceholders("SELECT 1 LIMIT?").0, "SELECT 1 LIMIT $1")
    XCTAssertEqual(PostgresSQL.numberPlaceholders("a$b ?").0, "a$b $1")

    let result = try connection.execute(
      "SELECT ? AS a, '?' AS \"b?\", 'it''s ?' AS c, E'\\' ?' AS d, $x$ ? $x$ AS e, -- ? here\n/* ? /* ? */ */ ?::text AS f",
      ["one".databaseValue, "two".databaseValue])
    XCTAssertEqual(result.columns, ["a", "b?", "c", "d", "e", "f"])
    XCTAssertEqual(result.cells[0], ["one", "?", "it's ?", "' ?", " ? ", "two"])

    // Caught before anything is sent: a wrong count, and a NUL that libpq would cut the text at.
    for arguments in [[1.databaseValue], ["a\u{0}b".databaseValue, 1.databaseValue]] {
      XCTAssertThrowsError(try connection.execute("SELECT ?, ?", arguments)) { error in
        guard case PostgresError.arguments = error else { return XCTFail("\(error)") }
      }
    }
  }

  func testChangesCountsTheRowsACommandTouched() throws {
    try connection.executeScript("CREATE TABLE n (k BIGINT, v TEXT); INSERT INTO n SELECT g, 'x' FROM generate_series(1, 10) g")
    XCTAssertEqual(try connection.execute("UPDATE n SET v = ? WHERE k > ?", ["y".databaseValue, 3.databaseValue]).changes, 7)
    XCTAssertEqual(try connection.execute("UPDATE n SET v = 'z' WHERE k > 100").changes, 0)
    XCTAssertEqual(try connection.execute("DELETE FROM n WHERE v = ?", ["x".databaseValue]).changes, 3)
    XCTAssertEqual(try connection.execute("CREATE TABLE m (k BIGINT)").changes, 0)
    XCTAssertEqual(try connection.execute("SELECT count(*) AS c FROM n").rows[0]["c"] as Int64, 7)
  }

  func testABadStatementFailsAndTheConnectionStaysUsable() throws {
    for (sql, expected) in [("SELEC 1", "42601"), ("SELECT * FROM no_such_table", "42P01")] {
      XCTAssertThrowsError(try connection.execute(sql)) { error in
        guard case PostgresError.statement(let sqlState, let message) = error else { return XCTFail("\(error)") }
        XCTAssertEqual(sqlState, expected)
        XCTAssertFalse(message.isEmpty)
        XCTAssertFalse((error as! PostgresError).isConnectionFailure)
        XCTAssertFalse("\(error)".contains("\n"), "\(error)")
      }
      XCTAssertTrue(connection.isHealthy)
    }
    // A script is one implicit transaction: the failure undoes the CREATE before it.
    XCTAssertThrowsError(try connection.executeScript("CREATE TABLE a (k INT); SELECT * FROM no_such_table"))
    XCTAssertEqual(try connection.execute("SELECT count(*) AS c FROM pg_tables WHERE tablename = 'a'").rows[0]["c"] as Int64, 0)
    XCTAssertEqual(try connection.execute("SELECT 1 AS one").rows[0]["one"] as Int64, 1)
  }

  func testAWrongPasswordIsAConnectErrorWithoutThePassword() throws {
    var components = try XCTUnwrap(URLComponents(string: url))
    let password = try XCTUnwrap(components.password)
    components.password = "wrong-Secret-7391"
    let wrong = try XCTUnwrap(components.string)
    XCTAssertThrowsError(try PostgresConnection(url: wrong)) { error in
      guard case PostgresError.connect = error else { return XCTFail("\(error)") }
      let description = "\(error)"
      XCTAssertFalse(description.contains("wrong-Secret-7391"), description)
      XCTAssertFalse(description.contains(password), description)
      XCTAssertTrue(description.contains("password"), description)
      XCTAssertTrue((error as! PostgresError).isConnectionFailure)
    }
    // A bad percent-escape in the password is quoted by libpq's parser; it must not leak either.
    XCTAssertThrowsError(try PostgresConnection(url: "postgres://nas:Leak%zzSecret@127.0.0.1:1/nas")) { error in
      XCTAssertFalse("\(error)".contains("Leak"), "\(error)")
    }
  }

  func testRedactedHidesThePassword() {
    let cases = [
      ("postgres://nas:s3cret@127.0.0.1:5432/nas", "postgres://nas:***@127.0.0.1:5432/nas"),
      ("postgresql://u:p%40ss@db.example/x?sslmode=require", "postgresql://u:***@db.example/x?sslmode=require"),
      ("postgres://u@h/db", "postgres://u@h/db"),
      ("postgres://h/db?user=u&password=s3cret&sslmode=disable", "postgres://h/db?user=u&password=***&sslmode=disable"),
      ("host=h password=s3cret dbname=d", "host=h password=*** dbname=d"),
      ("host=h password = 'a b\\' c' dbname=d", "host=h password = *** dbname=d"),
    ]
    for (url, expected) in cases {
      XCTAssertEqual(PostgresConnection.redacted(url), expected)
    }
  }

  func testCancelFromAnotherThreadStopsTheStatement() throws {
    let connection = self.connection!
    let done = DispatchSemaphore(value: 0), stopped = DispatchSemaphore(value: 0)
    // Repeated: a cancel that arrives before the statement starts is ignored by the server.
    DispatchQueue.global().async {
      while done.wait(timeout: .now() + 0.3) == .timedOut { connection.cancel() }
      stopped.signal()
    }
    let start = Date()
    XCTAssertThrowsError(try connection.execute("SELECT pg_sleep(30)")) { error in
      guard case PostgresError.statement(let sqlState, _) = error else { return XCTFail("\(error)") }
      XCTAssertEqual(sqlState, "57014")
    }
    done.signal()
    stopped.wait()  // so no late cancel meets the next statement
    XCTAssertLessThan(Date().timeIntervalSince(start), 10)
    connection.cancel()  // nothing in progress: no effect
    XCTAssertEqual(try connection.execute("SELECT 2 AS two").rows[0]["two"] as Int64, 2)
  }

  func testATerminatedBackendIsAConnectionFailure() throws {
    let victims = try (0..<2).map { _ in try PostgresConnection(url: url) }
    for victim in victims {
      let pid = try XCTUnwrap(victim.execute("SELECT pg_backend_pid() AS pid").rows[0]["pid"] as Int64?)
      XCTAssertEqual(try connection.execute("SELECT pg_terminate_backend(?) AS ok", [pid.databaseValue]).rows[0]["ok"] as Int64, 1)
      // pg_terminate_backend only signals; wait until the backend is gone.
      let deadline = Date().addingTimeInterval(10)
      while try connection.execute("SELECT count(*) AS n FROM pg_stat_activity WHERE pid = ?", [pid.databaseValue]).rows[0]["n"] as Int64 > 0,
        Date() < deadline
      {
        Thread.sleep(forTimeInterval: 0.05)
      }
    }
    // One learns it from a statement, the other from isHealthy alone (what a pool checks).
    XCTAssertThrowsError(try victims[0].execute("SELECT 1")) { error in
      XCTAssertTrue((error as? PostgresError)?.isConnectionFailure == true, "\(error)")
      guard case PostgresError.connectionLost = error else { return XCTFail("\(error)") }
    }
    XCTAssertFalse(victims[0].isHealthy)
    // The backend leaves pg_stat_activity a moment before its socket closes; isHealthy sees the
    // close as soon as it happens, without a statement.
    let deadline = Date().addingTimeInterval(10)
    while victims[1].isHealthy && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
    XCTAssertFalse(victims[1].isHealthy)
    XCTAssertThrowsError(try victims[1].execute("SELECT 1")) { error in
      XCTAssertTrue((error as? PostgresError)?.isConnectionFailure == true, "\(error)")
    }
    XCTAssertTrue(connection.isHealthy)
  }

  func testAServerRestartBreaksOpenConnectionsOnly() throws {
    let environment = ProcessInfo.processInfo.environment
    if environment["NAS_TEST_POSTGRES_URL"] != nil && environment["NAS_TEST_POSTGRES_CLUSTER"] == nil {
      throw XCTSkip("restarts only a test cluster whose folder it knows (NAS_TEST_POSTGRES_CLUSTER)")
    }
    try PostgresTestServer.restart()
    XCTAssertThrowsError(try connection.execute("SELECT 1")) { error in
      XCTAssertTrue((error as? PostgresError)?.isConnectionFailure == true, "\(error)")
    }
    XCTAssertFalse(connection.isHealthy)
    XCTAssertEqual(try PostgresConnection(url: url).execute("SELECT 3 AS three").rows[0]["three"] as Int64, 3)
  }

  func testErrorClassification() {
    XCTAssertTrue(PostgresError.statement(sqlState: "40001", message: "").isSerializationFailure)
    XCTAssertTrue(PostgresError.statement(sqlState: "40P01", message: "").isSerializationFailure)
    XCTAssertFalse(PostgresError.statement(sqlState: "23505", message: "").isSerializationFailure)
    XCTAssertTrue(PostgresError.statement(sqlState: "57P03", message: "").isConnectionFailure)
    XCTAssertTrue(PostgresError.statement(sqlState: "08006", message: "").isConnectionFailure)
    XCTAssertFalse(PostgresError.statement(sqlState: "57014", message: "").isConnectionFailure)
    XCTAssertTrue(PostgresError.connectionLost("x").isConnectionFailure)
  }
}
