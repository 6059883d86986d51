import Foundation
import GRDB

/// One finished evaluation of a run with its architecture, as the search reads it back on resume
/// and at the end (a GRDB record, decoded the same from either engine).
public struct StoredEvaluation: FetchableRecord, Sendable, Hashable {
  public var id: Int64
  public var trial: Int?
  /// Successive halving's rung (0 the lowest); nil in a flat search.
  public var rung: Int?
  /// The step a rung's training began at (0: from scratch); nil in a flat search.
  public var continuedFromStep: Int?
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
    rung = row["rung"]
    continuedFromStep = row["continued_from_step"]
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

/// How a search's results rank: a higher rung of successive halving first (a candidate's reward
/// is its highest rung's; a flat search has no rung), then a higher reward.
public enum ResultRanking {
  public static func ranksAbove(rung a: Int?, reward ra: Double, over b: Int?, reward rb: Double) -> Bool {
    let (x, y) = (a ?? 0, b ?? 0)
    return x != y ? x > y : ra > rb
  }
}

extension StoredEvaluation {
  /// Whether this evaluation ranks above `other` as a search's result (``ResultRanking``).
  public func ranksAbove(_ other: StoredEvaluation) -> Bool {
    ResultRanking.ranksAbove(rung: rung, reward: reward ?? 0, over: other.rung, reward: other.reward ?? 0)
  }
}

extension ResultsStore {
  /// The message that marks an evaluation whose process died (see ``markStaleEvaluations(run:grace:)``).
  public static let staleMessagePrefix = "stale:"

  private static let evaluationColumns = """
    e.id, e.trial, e.rung, e.continued_from_step, e.architecture_hash, e.status, e.accuracy, e.predicted_latency_ms, e.measured_latency_ms, e.reward,
    e.message, e.reused, e.wall_seconds, a.macs, a.params, a.name, a.canonical_text
    """

  /// Evaluations of a run with their architectures, oldest first within a trial, filtered by
  /// `condition` (SQL over `e`, the evaluation).
  private func evaluations(run: Int64, where condition: String, arguments: [(any DatabaseValueConvertible)?] = [], order: String)
    throws -> [StoredEvaluation]
  {
    try read { db in
      try db.fetchAll(
        StoredEvaluation.self,
        sql: """
          SELECT \(Self.evaluationColumns)
          FROM evaluations e JOIN architectures a ON a.hash = e.architecture_hash
          WHERE e.run_id = ? AND \(condition) ORDER BY \(order)
          """, arguments: [run] + arguments)
    }
  }

  private static let finished =
    "e.status != 'running' AND (e.message IS NULL OR e.message NOT LIKE '\(staleMessagePrefix)%')"

  /// The finished (not running, not stale) evaluation of `trial` in `run`, if one was committed.
  public func finishedEvaluation(run: Int64, trial: Int) throws -> StoredEvaluation? {
    try evaluations(run: run, where: "e.trial = ? AND \(Self.finished)", arguments: [trial], order: "e.id DESC LIMIT 1").first
  }

  /// Every finished, non-stale evaluation of a run, by trial.
  public func finishedEvaluations(run: Int64) throws -> [StoredEvaluation] {
    try evaluations(run: run, where: Self.finished, order: "e.trial, e.id")
  }

  /// Every evaluation of a run, running, stale and failed ones too, by trial (for its report).
  public func allEvaluations(run: Int64) throws -> [StoredEvaluation] {
    try evaluations(run: run, where: "1 = 1", order: "e.trial, e.id")
  }

  /// Records an end-to-end measurement of an evaluation's architecture.
  public func setMeasuredLatency(evaluation: Int64, milliseconds: Double) throws {
    try write { db in
      try db.execute(sql: "UPDATE evaluations SET measured_latency_ms = ? WHERE id = ?", arguments: [milliseconds, evaluation])
    }
  }
}
