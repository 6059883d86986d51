import Foundation
import NASArch
import NASStore
import NASTestSupport
import XCTest

/// The read side: `nas db runs` counts, the Pareto front, and the bounds on ad-hoc queries.
class QueryTests: XCTestCase {
  var store: ResultsStore!
  var run: Int64 = 0

  /// Where the store under test lives: a new SQLite file here, a new PostgreSQL database in
  /// ``QueryPostgresTests``, which runs the same tests.
  func makeStoreLocation() throws -> String { try StoreLocations.newSQLiteFile() }

  override func setUpWithError() throws {
    store = try ResultsStore.open(path: try makeStoreLocation())
    run = try store.createRun(
      kind: .search, name: "q", commandLine: "nas search", parametersJSON: "{}", spacePath: nil, spaceHash: nil, seed: 1,
      toolVersion: "test", deviceProfile: nil)
  }

  func arch(_ size: Int) -> Architecture { smallArchitecture(size) }

  @discardableResult
  func evaluation(_ trial: Int, accuracy: Double, predicted: Double, measured: Double? = nil) throws -> Int64 {
    let id = try store.beginEvaluation(
      run: run, architecture: arch(8 + trial), trial: trial, evaluator: "t", evaluatorConfigJSON: "{}", predictedLatencyMs: predicted,
      deviceProfile: nil)
    try store.finishEvaluation(id, .init(status: .ok, accuracy: accuracy, reward: accuracy, message: nil, reused: false, wallSeconds: 0))
    if let measured { try store.setMeasuredLatency(evaluation: id, milliseconds: measured) }
    return id
  }

  func testRunsCountsStaleEvaluationsApart() throws {
    try evaluation(1, accuracy: 0.5, predicted: 1)
    // An evaluation whose process died (pid 0 never exists as a process of ours) is marked stale.
    _ = try store.beginEvaluation(
      run: run, architecture: arch(30), trial: 2, evaluator: "t", evaluatorConfigJSON: "{}", predictedLatencyMs: 1, deviceProfile: nil)
    XCTAssertEqual(try store.markStaleEvaluations(run: run, grace: -1), [2])
    try evaluation(2, accuracy: 0.6, predicted: 1)
    let runs = try store.runs()
    let row = Dictionary(uniqueKeysWithValues: zip(runs.columns, runs.rows[0]))
    XCTAssertEqual(row["evaluations"], "2")
    XCTAssertEqual(row["stale"], "1")
  }

  func testARunWithoutRewardsHasNoBestRewardRatherThanZero() throws {
    let row = { () throws -> [String: String?] in
      let runs = try self.store.runs()
      return Dictionary(uniqueKeysWithValues: zip(runs.columns, runs.rows[0]))
    }
    XCTAssertEqual(try row()["best_reward"], .some(nil))
    try evaluation(1, accuracy: 0.5, predicted: 1)
    XCTAssertNotNil(try row()["best_reward"] ?? nil)
  }

  func testTheParetoFrontComparesPredictedLatencies() throws {
    // Measured, trial 2 would be faster than trial 1 and hide it; predicted, both are on the front.
    try evaluation(1, accuracy: 0.5, predicted: 1)
    try evaluation(2, accuracy: 0.6, predicted: 2, measured: 0.5)
    try evaluation(3, accuracy: 0.55, predicted: 3)
    let front = try store.pareto(run: run)
    let trial = try XCTUnwrap(front.columns.firstIndex(of: "trial"))
    XCTAssertEqual(front.rows.map { $0[trial] }, ["1", "2"])
    let measured = try XCTUnwrap(front.columns.firstIndex(of: "measured_latency_ms"))
    XCTAssertEqual(front.rows.map { $0[measured] }, [nil, "0.5"])
  }

  let endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)"

  func testAnEndlessQueryStopsAtTheRowLimitWithTheRowsBeforeIt() throws {
    var rows: [[String?]] = []
    XCTAssertThrowsError(
      try store.streamQuery("\(endless) SELECT x FROM c", limits: QueryLimits(maxRows: 25, maxSeconds: 60), columns: { _ in }) {
        rows.append($0)
      }
    ) { XCTAssertEqual($0 as? QueryLimitError, .rows(25)) }
    XCTAssertEqual(rows.count, 25)
    XCTAssertEqual(rows.last, ["25"])
  }

  func testAnEndlessQueryWithoutRowsStopsAtTheTimeLimit() throws {
    XCTAssertThrowsError(
      try store.streamQuery("\(endless) SELECT count(*) FROM c", limits: QueryLimits(maxRows: 10, maxSeconds: 0.3), columns: { _ in }) { _ in }
    ) { XCTAssertEqual($0 as? QueryLimitError, .seconds(0.3)) }
  }

  func testABoundedQueryReturnsEveryRow() throws {
    var columns: [String] = []
    var rows = 0
    let count = try store.streamQuery("\(endless) SELECT x AS n FROM c LIMIT 40", limits: .defaults, columns: { columns = $0 }) { _ in rows += 1 }
    XCTAssertEqual(columns, ["n"])
    XCTAssertEqual(count, 40)
    XCTAssertEqual(rows, 40)
  }
}

/// ``QueryTests`` on a PostgreSQL server. (XCTest on Linux runs only the test methods a class
/// declares itself, so each is named again.)
final class QueryPostgresTests: QueryTests {
  override func makeStoreLocation() throws -> String { try PostgresTestServer.freshDatabase() }

  override func testRunsCountsStaleEvaluationsApart() throws { try super.testRunsCountsStaleEvaluationsApart() }
  override func testARunWithoutRewardsHasNoBestRewardRatherThanZero() throws { try super.testARunWithoutRewardsHasNoBestRewardRatherThanZero() }
  override func testTheParetoFrontComparesPredictedLatencies() throws { try super.testTheParetoFrontComparesPredictedLatencies() }
  override func testAnEndlessQueryStopsAtTheRowLimitWithTheRowsBeforeIt() throws { try super.testAnEndlessQueryStopsAtTheRowLimitWithTheRowsBeforeIt() }
  override func testAnEndlessQueryWithoutRowsStopsAtTheTimeLimit() throws { try super.testAnEndlessQueryWithoutRowsStopsAtTheTimeLimit() }
  override func testABoundedQueryReturnsEveryRow() throws { try super.testABoundedQueryReturnsEveryRow() }
}
