import Foundation
import GRDB
import NASArch

extension ResultsStore {
  /// Sets a run's status (and its end time unless it is running again).
  public func setRunStatus(_ run: Int64, _ status: RunStatus) throws {
    try write { db in
      try db.execute(
        sql: "UPDATE runs SET status = ?, ended_at = ? WHERE id = ?",
        arguments: [status.rawValue, status == .running ? nil : Self.now(), run])
    }
  }

  /// Inserts the architecture if its hash is new.
  public func recordArchitecture(_ arch: Architecture, spacePath: String?) throws {
    let costs = try arch.costs()
    try write { db in
      try db.execute(
        sql: """
          INSERT OR IGNORE INTO architectures (hash, canonical_text, name, space_path, input_resolution, macs, params, created_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?)
          """,
        arguments: [
          arch.canonicalHash, arch.canonicalText(includeName: false), arch.name, spacePath, arch.inputSize, costs.macs,
          costs.params, Self.now(),
        ])
    }
  }

  /// Starts an evaluation (status running, with this process's pid and a heartbeat).
  public func beginEvaluation(
    run: Int64, architecture: Architecture, trial: Int?, evaluator: String, evaluatorConfigJSON: String,
    predictedLatencyMs: Double?, deviceProfile: String?, spacePath: String? = nil
  ) throws -> Int64 {
    try recordArchitecture(architecture, spacePath: spacePath)
    return try write { db in
      let now = Self.now()
      try db.execute(
        sql: """
          INSERT INTO evaluations (run_id, architecture_hash, trial, evaluator, evaluator_config, predicted_latency_ms,
            device_profile, status, pid, heartbeat_at, created_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?)
          """,
        arguments: [
          run, architecture.canonicalHash, trial, evaluator, evaluatorConfigJSON, predictedLatencyMs, deviceProfile,
          Int(ProcessInfo.processInfo.processIdentifier), now, now,
        ])
      return db.lastInsertedRowID
    }
  }

  /// Outcome of an evaluation, committed in one transaction.
  public struct EvaluationResult: Sendable {
    public var status: EvaluationStatus
    public var accuracy: Double?
    public var reward: Double?
    public var message: String?
    public var reused: Bool
    public var wallSeconds: Double
    public init(status: EvaluationStatus, accuracy: Double?, reward: Double?, message: String?, reused: Bool, wallSeconds: Double) {
      self.status = status
      self.accuracy = accuracy
      self.reward = reward
      self.message = message
      self.reused = reused
      self.wallSeconds = wallSeconds
    }
  }

  public func finishEvaluation(_ id: Int64, _ r: EvaluationResult) throws {
    try write { db in
      try db.execute(
        sql: """
          UPDATE evaluations SET status = ?, accuracy = ?, reward = ?, message = ?, reused = ?, wall_seconds = ?, heartbeat_at = ?
          WHERE id = ?
          """,
        arguments: [r.status.rawValue, r.accuracy, r.reward, r.message, r.reused, r.wallSeconds, Self.now(), id])
    }
  }

  /// Refreshes a running evaluation's heartbeat.
  public func heartbeat(_ id: Int64) throws {
    try write { db in try db.execute(sql: "UPDATE evaluations SET heartbeat_at = ? WHERE id = ?", arguments: [Self.now(), id]) }
  }

  /// Accuracy of an earlier successful evaluation of the same architecture and evaluator configuration.
  public func reusableAccuracy(hash: String, evaluatorConfigJSON: String) throws -> Double? {
    try read { db in
      try Double.fetchOne(
        db,
        sql: """
          SELECT accuracy FROM evaluations WHERE architecture_hash = ? AND evaluator_config = ? AND status = 'ok'
            AND accuracy IS NOT NULL AND reused = 0 ORDER BY id LIMIT 1
          """, arguments: [hash, evaluatorConfigJSON])
    }
  }

  /// Marks this run's evaluations still "running" whose process is gone or whose heartbeat is
  /// older than `grace` seconds as failed (stale); returns their trial numbers.
  public func markStaleEvaluations(run: Int64, grace: TimeInterval = 120) throws -> [Int] {
    try write { db in
      let rows = try Row.fetchAll(
        db, sql: "SELECT id, trial, pid, heartbeat_at FROM evaluations WHERE run_id = ? AND status = 'running'", arguments: [run])
      var trials: [Int] = []
      for row in rows {
        let pid: Int? = row["pid"]
        let beat = (row["heartbeat_at"] as String?).flatMap(StoreTimestamp.date) ?? .distantPast
        let alive = pid.map { kill(pid_t($0), 0) == 0 } ?? false
        if !alive || Date().timeIntervalSince(beat) > grace {
          try db.execute(
            sql: "UPDATE evaluations SET status = 'failed', message = 'stale: the evaluating process died' WHERE id = ?",
            arguments: [row["id"] as Int64])
          if let t: Int = row["trial"] { trials.append(t) }
        }
      }
      return trials
    }
  }

  /// Stores a named blob of run state (strategy state for resume).
  public func saveState(run: Int64, key: String, value: Data) throws {
    try write { db in
      try db.execute(
        sql: "INSERT OR REPLACE INTO run_state (run_id, key, value, updated_at) VALUES (?, ?, ?, ?)",
        arguments: [run, key, value, Self.now()])
    }
  }

  public func loadState(run: Int64, key: String) throws -> Data? {
    try read { db in try Data.fetchOne(db, sql: "SELECT value FROM run_state WHERE run_id = ? AND key = ?", arguments: [run, key]) }
  }

  /// Counts rows of a table (for tests and `nas db runs`).
  public func count(_ table: String) throws -> Int {
    guard ["runs", "architectures", "evaluations", "run_state"].contains(table) else { throw StoreError.notFound("table \(table)") }
    return try read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 }
  }

  /// `PRAGMA integrity_check`'s answer ("ok" when the file is sound).
  public func integrityCheck() throws -> String {
    try read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "?" }
  }
}
