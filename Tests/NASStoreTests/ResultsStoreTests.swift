import Foundation
import GRDB
import NASArch
import NASTestSupport
import XCTest

@testable import NASStore

class ResultsStoreTests: XCTestCase {
  func temporaryPath(_ name: String = "nas.sqlite") throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nas-store-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent(name).path
  }

  /// A network small enough to record anywhere; other store tests use it too.
  static let tiny = Architecture(
    name: "tiny", inputSize: 8, inputChannels: 3, classes: 4,
    units: [
      Unit(role: .stem, op: .conv, kernel: 3, stride: 2, outChannels: 8, activation: .relu),
      Unit(role: .head, op: .pool),
      Unit(role: .classifier, op: .classifier, outChannels: 4, normalization: .none),
    ])
  let arch = ResultsStoreTests.tiny

  /// Where the engine-neutral tests keep their store: a new SQLite file here, a new PostgreSQL
  /// database in ``ResultsStorePostgresTests`` (the other tests are about files).
  func makeStoreLocation() throws -> String { try temporaryPath() }

  func testMigratesFromEmptyAndRecordsAnEvaluation() throws {
    let path = try makeStoreLocation()
    let store = try ResultsStore.open(path: path)
    let run = try store.createRun(
      kind: .search, name: "t", commandLine: "nas search", parametersJSON: "{}", spacePath: nil, spaceHash: nil, seed: 1,
      toolVersion: "test", deviceProfile: nil)
    let id = try store.beginEvaluation(
      run: run, architecture: arch, trial: 1, evaluator: "zen", evaluatorConfigJSON: "{\"e\":1}", predictedLatencyMs: 1.5,
      deviceProfile: nil)
    XCTAssertNil(try store.reusableAccuracy(hash: arch.canonicalHash, evaluatorConfigJSON: "{\"e\":1}"))
    try store.finishEvaluation(id, .init(status: .ok, accuracy: 0.8, reward: 0.7, message: nil, reused: false, wallSeconds: 1))
    XCTAssertEqual(try store.reusableAccuracy(hash: arch.canonicalHash, evaluatorConfigJSON: "{\"e\":1}"), 0.8)
    XCTAssertNil(try store.reusableAccuracy(hash: arch.canonicalHash, evaluatorConfigJSON: "{\"e\":2}"))
    try store.setRunStatus(run, .finished)
    try store.saveState(run: run, key: "strategy", value: Data("abc".utf8))
    XCTAssertEqual(try store.loadState(run: run, key: "strategy"), Data("abc".utf8))
    XCTAssertEqual(try store.integrityCheck(), "ok")
    // Reopening migrates nothing and keeps every row; a read-only open sees them.
    _ = try ResultsStore.open(path: path)
    let reader = try ResultsStore.openReadOnly(path: path)
    XCTAssertEqual(try reader.count("evaluations"), 1)
    XCTAssertEqual(try reader.count("architectures"), 1)
  }

  func testStaleEvaluationsOfDeadProcessesAreMarkedFailed() throws {
    let store = try ResultsStore.open(path: try makeStoreLocation())
    let run = try store.createRun(
      kind: .search, name: nil, commandLine: "x", parametersJSON: "{}", spacePath: nil, spaceHash: nil, seed: nil,
      toolVersion: "test", deviceProfile: nil)
    _ = try store.beginEvaluation(
      run: run, architecture: arch, trial: 7, evaluator: "zen", evaluatorConfigJSON: "{}", predictedLatencyMs: nil, deviceProfile: nil)
    // Our own process is alive and its heartbeat fresh: nothing is stale yet.
    XCTAssertEqual(try store.markStaleEvaluations(run: run), [])
    XCTAssertEqual(try store.markStaleEvaluations(run: run, grace: -1), [7])
  }

  func testForeignFilesAreRefusedAndLeftUntouched() throws {
    let text = try temporaryPath("notes.sqlite")
    try "hello, not a database".write(toFile: text, atomically: true, encoding: .utf8)
    XCTAssertThrowsError(try ResultsStore.open(path: text)) { XCTAssertTrue("\($0)".contains("not a nas results database")) }
    XCTAssertEqual(try String(contentsOfFile: text, encoding: .utf8), "hello, not a database")

    let other = try temporaryPath("other.sqlite")
    let queue = try DatabaseQueue(path: other)
    try queue.write { try $0.execute(sql: "CREATE TABLE t (x)") }
    try queue.close()
    XCTAssertThrowsError(try ResultsStore.open(path: other)) { XCTAssertTrue("\($0)".contains("no nas schema")) }
  }

  func testNewerSchemaIsRefused() throws {
    let path = try temporaryPath()
    _ = try ResultsStore.open(path: path)
    let queue = try DatabaseQueue(path: path)
    try queue.write { try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99-from-the-future')") }
    try queue.close()
    XCTAssertThrowsError(try ResultsStore.open(path: path)) { XCTAssertTrue("\($0)".contains("newer nas")) }
    XCTAssertThrowsError(try ResultsStore.openReadOnly(path: path))
  }

  func testReadOnlyNeedsAnExistingFile() {
    XCTAssertThrowsError(try ResultsStore.openReadOnly(path: "/nonexistent/nas.sqlite")) {
      XCTAssertEqual($0 as? StoreError, .missing(path: "/nonexistent/nas.sqlite"))
    }
  }
}

/// The engine-neutral ``ResultsStoreTests`` on a PostgreSQL server, and how a server database
/// that is not this nas's is refused.
final class ResultsStorePostgresTests: ResultsStoreTests {
  override func makeStoreLocation() throws -> String { try PostgresTestServer.freshDatabase() }

  override func testMigratesFromEmptyAndRecordsAnEvaluation() throws { try super.testMigratesFromEmptyAndRecordsAnEvaluation() }
  override func testStaleEvaluationsOfDeadProcessesAreMarkedFailed() throws { try super.testStaleEvaluationsOfDeadProcessesAreMarkedFailed() }

  func testANewerSchemaOnTheServerIsRefused() throws {
    let url = try makeStoreLocation()
    try ResultsStore.open(path: url).write { try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99-future')") }
    XCTAssertThrowsError(try ResultsStore.open(path: url)) { XCTAssertTrue("\($0)".contains("newer nas"), "\($0)") }
  }

  func testADatabaseWithOtherTablesIsRefusedUntouched() throws {
    let url = try makeStoreLocation()
    try PostgresTestServer.sql(url, "CREATE TABLE invoices (id BIGINT PRIMARY KEY)")
    XCTAssertThrowsError(try ResultsStore.open(path: url)) { XCTAssertTrue("\($0)".contains("no nas schema"), "\($0)") }
    XCTAssertThrowsError(try PostgresTestServer.sql(url, "SELECT 1 FROM runs"), "no nas table was created")
  }
}
