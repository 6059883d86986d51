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
          INSERT INTO architectures (hash, canonical_text, name, space_path, input_resolution, macs, params, created_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING
          """,
        arguments: [
          arch.canonicalHash, arch.canonicalText(includeName: false), arch.name, spacePath, arch.inputSize, costs.macs,
          costs.params, Self.now(),
        ])
    }
  }

  /// Starts an evaluation (status running, with this process's pid and a heartbeat); `rung` is
  /// successive halving's rung, nil in a flat search.
  public func beginEvaluation(
    run: Int64, architecture: Architecture, trial: Int?, rung: Int? = nil, evaluator: String, evaluatorConfigJSON: String,
    predictedLatencyMs: Double?, deviceProfile: String?, spacePath: String? = nil
  ) throws -> Int64 {
    try recordArchitecture(architecture, spacePath: spacePath)
    return try write { db in
      let now = Self.now()
      let id = try db.value(
        Int64.self,
        sql: """
          INSERT INTO evaluations (run_id, architecture_hash, trial, rung, evaluator, evaluator_config, predicted_latency_ms,
            device_profile, status, pid, host, heartbeat_at, created_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, \(db.nowSQL), ?) RETURNING id
          """,
        arguments: [
          run, architecture.canonicalHash, trial, rung, evaluator, evaluatorConfigJSON, predictedLatencyMs, deviceProfile,
          Int(ProcessInfo.processInfo.processIdentifier), RunOwner.hostName, now,
        ])
      guard let id else { throw StoreError.database("inserting an evaluation returned no id") }
      return id
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
          UPDATE evaluations SET status = ?, accuracy = ?, reward = ?, message = ?, reused = ?, wall_seconds = ?,
            heartbeat_at = \(db.nowSQL)
          WHERE id = ?
          """,
        arguments: [r.status.rawValue, r.accuracy, r.reward, r.message, r.reused, r.wallSeconds, id])
    }
  }

  /// Refreshes a running evaluation's heartbeat.
  public func heartbeat(_ id: Int64) throws {
    try write { db in try db.execute(sql: "UPDATE evaluations SET heartbeat_at = \(db.nowSQL) WHERE id = ?", arguments: [id]) }
  }

  /// Accuracy of an earlier successful evaluation of the same architecture and evaluator configuration.
  public func reusableAccuracy(hash: String, evaluatorConfigJSON: String) throws -> Double? {
    try read { db in
      try db.value(Double.self, sql: """
          SELECT accuracy FROM evaluations WHERE architecture_hash = ? AND evaluator_config = ? AND status = 'ok'
            AND accuracy IS NOT NULL AND reused = 0 ORDER BY id LIMIT 1
          """, arguments: [hash, evaluatorConfigJSON])
    }
  }

  /// Marks this run's evaluations still "running" whose process is gone (on this host) or whose
  /// heartbeat, by the database's clock, is older than `grace` seconds as failed (stale);
  /// returns their trial numbers.
  public func markStaleEvaluations(run: Int64, grace: TimeInterval = 120) throws -> [Int] {
    try write { db in
      let now = try db.now()
      let rows = try db.fetchAll(
        sql: "SELECT id, trial, pid, host, heartbeat_at FROM evaluations WHERE run_id = ? AND status = 'running'\(db.lockRows)",
        arguments: [run])
      var trials: [Int] = []
      for row in rows {
        let beat = (row["heartbeat_at"] as String?).flatMap(StoreTimestamp.date)
        let alive = RunOwnership.isAlive(
          host: row["host"] ?? RunOwner.hostName, pid: row["pid"], heartbeatAge: beat.map { now.timeIntervalSince($0) }, staleAfter: grace)
        if !alive {
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
    try write { db in try Self.saveState(db, run: run, key: key, value: value, at: Self.now()) }
  }

  static func saveState(_ db: any StoreSQL, run: Int64, key: String, value: Data, at time: String) throws {
    try db.execute(
      sql: """
        INSERT INTO run_state (run_id, key, value, updated_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
        """,
      arguments: [run, key, value, time])
  }

  public func loadState(run: Int64, key: String) throws -> Data? {
    try read { db in try db.value(Data.self, sql: "SELECT value FROM run_state WHERE run_id = ? AND key = ?", arguments: [run, key]) }
  }

  /// Counts rows of a table (for tests and `nas db runs`).
  public func count(_ table: String) throws -> Int {
    guard ["runs", "architectures", "evaluations", "run_state"].contains(table) else { throw StoreError.notFound("table \(table)") }
    return try read { db in try db.value(Int.self, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 }
  }

  /// `PRAGMA integrity_check`'s answer ("ok" when the file is sound); a server checks its own
  /// pages, so there it is always "ok".
  public func integrityCheck() throws -> String {
    guard engine.kind == .sqlite else { return "ok" }
    return try read { db in try db.value(String.self, sql: "PRAGMA integrity_check") ?? "?" }
  }
}
