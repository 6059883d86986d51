import Foundation
import NASArch
import NASTestSupport
import XCTest

@testable import NASStore

/// The evaluation queue behind `nas worker`: concurrent workers each claim a different row, a
/// silent worker's claim is queued again and its late result refused, and a resumed search
/// keeps the outcomes written while it was away.
class EvaluationQueueTests: XCTestCase {
  var location: String!
  var store: ResultsStore!
  var run: Int64 = 0
  let task = #"{"evaluate_arguments":["--evaluator","zen"]}"#

  /// A new SQLite file here; a new PostgreSQL database in ``EvaluationQueuePostgresTests``.
  func makeStoreLocation() throws -> String { try StoreLocations.newSQLiteFile() }

  override func setUpWithError() throws {
    location = try makeStoreLocation()
    store = try ResultsStore.open(path: location)
    run = try store.createRun(
      kind: .search, name: "q", commandLine: "nas search --queue", parametersJSON: "{}", spacePath: nil, spaceHash: nil, seed: 1,
      toolVersion: "test-1", deviceProfile: nil)
  }

  func arch(_ size: Int) -> Architecture { smallArchitecture(size) }

  /// Queues `trials` as the search does: an evaluation record each, then the queue rows.
  func enqueue(_ trials: ClosedRange<Int>) throws {
    var items: [QueueItem] = []
    for trial in trials {
      let a = arch(8 + trial)
      let id = try store.beginEvaluation(
        run: run, architecture: a, trial: trial, evaluator: "cmd", evaluatorConfigJSON: "{}", predictedLatencyMs: 1, deviceProfile: nil)
      items.append(QueueItem(trial: trial, evaluationID: id, architectureHash: a.canonicalHash))
    }
    try store.enqueue(run: run, items, evaluator: task)
  }

  func worker(_ host: String, pid: Int = 1) -> RunOwner { RunOwner(token: UUID().uuidString, host: host, pid: pid) }

  func ok(_ accuracy: Double) -> QueuedOutcome { QueuedOutcome(status: .ok, accuracy: accuracy, message: nil, wallSeconds: 1) }

  func testConcurrentWorkersClaimEachQueuedEvaluationOnce() throws {
    try enqueue(1...24)
    // Separate stores are separate connections, as separate worker processes have.
    let workers = try (0..<6).map { _ in try ResultsStore.open(path: location) }
    let claimed = ClaimLog()
    let outcome = ok(0.5)
    DispatchQueue.concurrentPerform(iterations: workers.count) { w in
      let identity = RunOwner(token: UUID().uuidString, host: "host-\(w)", pid: 1)
      do {
        while let c = try workers[w].claimQueuedEvaluation(worker: identity, toolVersion: "test-1") {
          claimed.add(c.trial)
          if try !workers[w].finishClaim(c.id, token: c.claimToken, outcome) { claimed.fail("claim of trial \(c.trial) lost") }
        }
      } catch {
        claimed.fail("\(error)")
      }
    }
    XCTAssertEqual(claimed.errors, [])
    XCTAssertEqual(claimed.trials.sorted(), Array(1...24), "every trial claimed exactly once")
    XCTAssertEqual(try store.queuedOutcomes(run: run, trials: Array(1...24)).count, 24)
    XCTAssertEqual(try store.queueCounts(run: run).done, 24)
  }

  func testASilentWorkersClaimIsQueuedAgainAndItsLateResultRefused() throws {
    try enqueue(1...1)
    let first = try XCTUnwrap(try store.claimQueuedEvaluation(worker: worker("elsewhere-a"), toolVersion: "test-1"))
    XCTAssertEqual(try store.requeueAbandonedClaims(), 0, "a fresh heartbeat from another host is alive")
    try store.write { db in
      try db.execute(
        sql: "UPDATE evaluation_queue SET heartbeat_at = ? WHERE id = ?",
        arguments: [StoreTimestamp.string(try db.now().addingTimeInterval(-EvaluationQueue.staleAfterSeconds - 5)), first.id])
    }
    XCTAssertEqual(try store.requeueAbandonedClaims(), 1)
    let second = try XCTUnwrap(try store.claimQueuedEvaluation(worker: worker("elsewhere-b"), toolVersion: "test-1"))
    XCTAssertEqual(second.trial, 1)
    XCTAssertEqual(second.attempts, 2)
    XCTAssertFalse(try store.refreshClaim(first.id, token: first.claimToken), "the first worker learns it lost the claim")
    XCTAssertTrue(try store.finishClaim(second.id, token: second.claimToken, ok(0.7)))
    XCTAssertFalse(try store.finishClaim(first.id, token: first.claimToken, ok(0.1)), "a late result is refused")
    let outcome = try XCTUnwrap(try store.queuedOutcomes(run: run, trials: [1])[1])
    XCTAssertEqual(outcome.accuracy, 0.7)
    XCTAssertEqual(outcome.workerHost, "elsewhere-b")
  }

  func testADeadWorkerOnThisHostIsQueuedAgainAtOnce() throws {
    try enqueue(1...1)
    let dead = Process()
    dead.executableURL = URL(fileURLWithPath: "/bin/true")
    try dead.run()
    dead.waitUntilExit()
    _ = try XCTUnwrap(
      try store.claimQueuedEvaluation(worker: worker(RunOwner.hostName, pid: Int(dead.processIdentifier)), toolVersion: "test-1"))
    XCTAssertEqual(try store.requeueAbandonedClaims(), 1)
  }

  func testAResumedSearchKeepsTheOutcomeAWorkerWroteWhileItWasAway() throws {
    try enqueue(1...2)
    let c = try XCTUnwrap(try store.claimQueuedEvaluation(worker: worker("w"), toolVersion: "test-1"))
    XCTAssertTrue(try store.finishClaim(c.id, token: c.claimToken, ok(0.9)))
    // The search died; resumed, it records the trials again and queues them again.
    XCTAssertEqual(try store.markStaleEvaluations(run: run, grace: -1).sorted(), [1, 2])
    try enqueue(1...2)
    XCTAssertEqual(try store.queuedOutcomes(run: run, trials: [1, 2]).mapValues(\.accuracy), [c.trial: 0.9])
    XCTAssertEqual(try store.queueCounts(run: run).queued, 1, "the other trial waits once, not twice")
  }

  func testWorkersClaimOnlyEvaluationsOfTheirVersion() throws {
    try enqueue(1...1)
    XCTAssertNil(try store.claimQueuedEvaluation(worker: worker("w"), toolVersion: "test-2"))
    XCTAssertNotNil(try store.claimQueuedEvaluation(worker: worker("w"), toolVersion: "test-1"))
  }
}

/// ``EvaluationQueueTests`` on a PostgreSQL server, where workers claim with
/// `FOR UPDATE SKIP LOCKED`.
final class EvaluationQueuePostgresTests: EvaluationQueueTests {
  override func makeStoreLocation() throws -> String { try PostgresTestServer.freshDatabase() }

  override func testConcurrentWorkersClaimEachQueuedEvaluationOnce() throws { try super.testConcurrentWorkersClaimEachQueuedEvaluationOnce() }
  override func testASilentWorkersClaimIsQueuedAgainAndItsLateResultRefused() throws {
    try super.testASilentWorkersClaimIsQueuedAgainAndItsLateResultRefused()
  }
  override func testADeadWorkerOnThisHostIsQueuedAgainAtOnce() throws { try super.testADeadWorkerOnThisHostIsQueuedAgainAtOnce() }
  override func testAResumedSearchKeepsTheOutcomeAWorkerWroteWhileItWasAway() throws {
    try super.testAResumedSearchKeepsTheOutcomeAWorkerWroteWhileItWasAway()
  }
  override func testWorkersClaimOnlyEvaluationsOfTheirVersion() throws { try super.testWorkersClaimOnlyEvaluationsOfTheirVersion() }
}

/// Trials claimed from several threads.
final class ClaimLog: @unchecked Sendable {
  private let lock = NSLock()
  private(set) var trials: [Int] = []
  private(set) var errors: [String] = []
  func add(_ trial: Int) { lock.withLock { trials.append(trial) } }
  func fail(_ message: String) { lock.withLock { errors.append(message) } }
}
