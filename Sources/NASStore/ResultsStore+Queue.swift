import Foundation
import GRDB

/// How the evaluation queue judges its workers (see ``EvaluationQueueTables``).
public enum EvaluationQueue {
  /// How often a worker refreshes the heartbeat of its claim.
  public static let heartbeatSeconds: TimeInterval = 5
  /// A claim whose heartbeat is older than this, by the database's clock, is queued again. On
  /// the claim's own host a worker whose process is gone is noticed at once.
  public static let staleAfterSeconds: TimeInterval = 30
}

/// A queued evaluation a worker has claimed: what to evaluate and how, and the token its result
/// must carry.
public struct ClaimedEvaluation: Sendable, Equatable {
  public var id: Int64
  public var run: Int64
  public var trial: Int
  /// The search's record of the trial (a checkpoint the evaluation saves is kept under it).
  public var evaluationID: Int64
  public var architectureHash: String
  public var canonicalText: String
  /// How to evaluate, as the search queued it (JSON of its own type).
  public var evaluator: String
  public var claimToken: String
  /// Claims so far, this one included (more than one: an earlier worker fell silent).
  public var attempts: Int
}

/// A queued evaluation's outcome, as a worker wrote it.
public struct QueuedOutcome: Sendable, Equatable {
  public var status: EvaluationStatus
  public var accuracy: Double?
  public var message: String?
  public var wallSeconds: Double?
  public var workerHost: String?
  public var attempts: Int

  public init(status: EvaluationStatus, accuracy: Double?, message: String?, wallSeconds: Double?, workerHost: String? = nil, attempts: Int = 1) {
    self.status = status
    self.accuracy = accuracy
    self.message = message
    self.wallSeconds = wallSeconds
    self.workerHost = workerHost
    self.attempts = attempts
  }
}

/// One trial to queue.
public struct QueueItem: Sendable {
  public var trial: Int
  public var evaluationID: Int64
  public var architectureHash: String
  /// How to evaluate this item, when it differs from the batch's (a rung of successive halving).
  public var evaluator: String?

  public init(trial: Int, evaluationID: Int64, architectureHash: String, evaluator: String? = nil) {
    self.trial = trial
    self.evaluationID = evaluationID
    self.architectureHash = architectureHash
    self.evaluator = evaluator
  }
}

extension ResultsStore {
  /// Queues trials of `run` in one transaction. A trial queued before (by this run before it was
  /// interrupted) keeps its row, and its result if a worker finished it meanwhile; it only points
  /// at the new evaluation record.
  public func enqueue(run: Int64, _ items: [QueueItem], evaluator: String) throws {
    guard !items.isEmpty else { return }
    try write { db in
      let now = Self.now()
      for item in items {
        try db.execute(
          sql: """
            INSERT INTO evaluation_queue (run_id, trial, evaluation_id, architecture_hash, evaluator, state, created_at)
            VALUES (?, ?, ?, ?, ?, 'queued', ?)
            ON CONFLICT (run_id, trial) DO UPDATE SET evaluation_id = excluded.evaluation_id,
              state = CASE WHEN evaluation_queue.state = 'cancelled' THEN 'queued' ELSE evaluation_queue.state END
            """,
          arguments: [run, item.trial, item.evaluationID, item.architectureHash, item.evaluator ?? evaluator, now])
      }
    }
  }

  /// Claims the oldest queued evaluation of a run made by nas `toolVersion` for `worker`, or nil
  /// when none is queued. Workers claiming at once each get a different row (PostgreSQL skips
  /// rows another transaction has locked; SQLite's write transactions take turns).
  public func claimQueuedEvaluation(worker: RunOwner, toolVersion: String) throws -> ClaimedEvaluation? {
    try write { db in
      let skip = db.kind == .postgres ? " FOR UPDATE OF q SKIP LOCKED" : ""
      guard
        let id = try db.value(
          Int64.self,
          sql: """
            SELECT q.id FROM evaluation_queue q JOIN runs r ON r.id = q.run_id
            WHERE q.state = 'queued' AND r.tool_version = ? ORDER BY q.id LIMIT 1\(skip)
            """, arguments: [toolVersion])
      else { return nil }
      let token = UUID().uuidString
      try db.execute(
        sql: """
          UPDATE evaluation_queue SET state = 'claimed', claim_token = ?, worker_host = ?, worker_pid = ?, claimed_at = \(db.nowSQL),
            heartbeat_at = \(db.nowSQL), attempts = attempts + 1
          WHERE id = ?
          """,
        arguments: [token, worker.host, worker.pid, id])
      guard
        let row = try db.fetchOne(
          sql: """
            SELECT q.id, q.run_id, q.trial, q.evaluation_id, q.architecture_hash, q.evaluator, q.attempts, a.canonical_text
            FROM evaluation_queue q JOIN architectures a ON a.hash = q.architecture_hash WHERE q.id = ?
            """, arguments: [id])
      else { return nil }
      return ClaimedEvaluation(
        id: row["id"], run: row["run_id"], trial: row["trial"], evaluationID: row["evaluation_id"], architectureHash: row["architecture_hash"],
        canonicalText: row["canonical_text"], evaluator: row["evaluator"], claimToken: token, attempts: row["attempts"])
    }
  }

  /// Refreshes a claim's heartbeat; false when the claim was taken away (queued again after
  /// this worker fell silent, or cancelled): the worker should drop the evaluation.
  public func refreshClaim(_ id: Int64, token: String) throws -> Bool {
    try write { db in
      try db.execute(
        sql: "UPDATE evaluation_queue SET heartbeat_at = \(db.nowSQL) WHERE id = ? AND claim_token = ? AND state = 'claimed'",
        arguments: [id, token]) == 1
    }
  }

  /// Writes a claimed evaluation's outcome; false (nothing written) when the claim was taken
  /// away, so a worker that was presumed dead cannot add a second result.
  public func finishClaim(_ id: Int64, token: String, _ outcome: QueuedOutcome) throws -> Bool {
    precondition(outcome.status != .running, "a finished claim has an outcome")
    return try write { db in
      try db.execute(
        sql: """
          UPDATE evaluation_queue SET state = 'done', status = ?, accuracy = ?, message = ?, wall_seconds = ?, finished_at = \(db.nowSQL)
          WHERE id = ? AND claim_token = ? AND state = 'claimed'
          """,
        arguments: [outcome.status.rawValue, outcome.accuracy, outcome.message, outcome.wallSeconds, id, token]) == 1
    }
  }

  /// Queues again every claim whose worker is gone: on its own host a process that no longer
  /// exists, anywhere a heartbeat older than `staleAfter` seconds by the database's clock.
  /// Returns how many were queued again.
  @discardableResult
  public func requeueAbandonedClaims(staleAfter: TimeInterval = EvaluationQueue.staleAfterSeconds) throws -> Int {
    try write { db in
      let now = try db.now()
      var requeued = 0
      for row in try db.fetchAll(
        sql: "SELECT id, worker_host, worker_pid, heartbeat_at FROM evaluation_queue WHERE state = 'claimed'\(db.lockRows)")
      {
        let beat = (row["heartbeat_at"] as String?).flatMap(StoreTimestamp.date)
        let alive = RunOwnership.isAlive(
          host: row["worker_host"] ?? "?", pid: row["worker_pid"], heartbeatAge: beat.map { now.timeIntervalSince($0) }, staleAfter: staleAfter)
        if !alive {
          requeued += try db.execute(
            sql: "UPDATE evaluation_queue SET state = 'queued', claim_token = NULL WHERE id = ? AND state = 'claimed'",
            arguments: [row["id"] as Int64])
        }
      }
      return requeued
    }
  }

  /// The outcomes of those `trials` of `run` that are done, by trial.
  public func queuedOutcomes(run: Int64, trials: [Int]) throws -> [Int: QueuedOutcome] {
    guard !trials.isEmpty else { return [:] }
    return try read { db in
      let marks = Array(repeating: "?", count: trials.count).joined(separator: ", ")
      var outcomes: [Int: QueuedOutcome] = [:]
      for row in try db.fetchAll(
        sql: """
          SELECT trial, status, accuracy, message, wall_seconds, worker_host, attempts FROM evaluation_queue
          WHERE run_id = ? AND state = 'done' AND trial IN (\(marks))
          """, arguments: [run] + trials.map { Optional($0 as any DatabaseValueConvertible) })
      {
        outcomes[row["trial"]] = QueuedOutcome(
          status: try row.word("status", of: "evaluation_queue"), accuracy: row["accuracy"], message: row["message"],
          wallSeconds: row["wall_seconds"], workerHost: row["worker_host"], attempts: row["attempts"])
      }
      return outcomes
    }
  }

  /// How many of `run`'s queued evaluations wait, are claimed and are done.
  public func queueCounts(run: Int64) throws -> (queued: Int, claimed: Int, done: Int) {
    try read { db in
      var counts: [String: Int] = [:]
      for row in try db.fetchAll(sql: "SELECT state, COUNT(*) AS n FROM evaluation_queue WHERE run_id = ? GROUP BY state", arguments: [run]) {
        counts[row["state"]] = row["n"]
      }
      return (counts["queued"] ?? 0, counts["claimed"] ?? 0, counts["done"] ?? 0)
    }
  }
}
