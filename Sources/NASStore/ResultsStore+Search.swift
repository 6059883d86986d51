import Foundation
import GRDB

/// One finished evaluation of a run with its architecture, as the search reads it back on resume
/// and at the end (a GRDB record, decoded the same from either engine).
public struct StoredEvaluation: FetchableRecord, Sendable, Hashable {
  public var id: Int64
  public var trial: Int?
  public var hash: String
  public var status: EvaluationStatus
  public var accuracy: Double?
  public var predictedLatencyMs: Double?
  public var measuredLatencyMs: Double?
  public var reward: Double?
  public var message: String?
  public var reused: Bool
  public var wallSeconds: Double?
  public var macs: Int
  public var params: Int
  public var name: String?
  public var canonicalText: String

  public init(row: Row) throws {
    id = row["id"]
    trial = row["trial"]
    hash = row["architecture_hash"]
    status = try EvaluationStatus.stored(row["status"])
    accuracy = row["accuracy"]
    predictedLatencyMs = row["predicted_latency_ms"]
    measuredLatencyMs = row["measured_latency_ms"]
    reward = row["reward"]
    message = row["message"]
    reused = row["reused"] ?? false
    wallSeconds = row["wall_seconds"]
    macs = row["macs"]
    params = row["params"]
    name = row["name"]
    canonicalText = row["canonical_text"]
  }
}

extension ResultsStore {
  /// The message that marks an evaluation whose process died (see ``markStaleEvaluations(run:grace:)``).
  public static let staleMessagePrefix = "stale:"

  private static let evaluationColumns = """
    e.id, e.trial, e.architecture_hash, e.status, e.accuracy, e.predicted_latency_ms, e.measured_latency_ms, e.reward,
    e.message, e.reused, e.wall_seconds, a.macs, a.params, a.name, a.canonical_text
    """

  /// The finished (not running, not stale) evaluation of `trial` in `run`, if one was committed.
  public func finishedEvaluation(run: Int64, trial: Int) throws -> StoredEvaluation? {
    try read { db in
      try db.fetchAll(
        StoredEvaluation.self,
        sql: """
          SELECT \(Self.evaluationColumns) FROM evaluations e JOIN architectures a ON a.hash = e.architecture_hash
          WHERE e.run_id = ? AND e.trial = ? AND e.status != 'running'
            AND (e.message IS NULL OR e.message NOT LIKE '\(Self.staleMessagePrefix)%')
          ORDER BY e.id DESC LIMIT 1
          """, arguments: [run, trial]
      ).first
    }
  }

  /// Every finished, non-stale evaluation of a run, by trial.
  public func finishedEvaluations(run: Int64) throws -> [StoredEvaluation] {
    try read { db in
      try db.fetchAll(
        StoredEvaluation.self,
        sql: """
          SELECT \(Self.evaluationColumns) FROM evaluations e JOIN architectures a ON a.hash = e.architecture_hash
          WHERE e.run_id = ? AND e.status != 'running'
            AND (e.message IS NULL OR e.message NOT LIKE '\(Self.staleMessagePrefix)%')
          ORDER BY e.trial, e.id
          """, arguments: [run]
      )
    }
  }

  /// Records an end-to-end measurement of an evaluation's architecture.
  public func setMeasuredLatency(evaluation: Int64, milliseconds: Double) throws {
    try write { db in
      try db.execute(sql: "UPDATE evaluations SET measured_latency_ms = ? WHERE id = ?", arguments: [milliseconds, evaluation])
    }
  }
}
