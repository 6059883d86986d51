import Foundation
import GRDB
import NASArch

/// One proposal of a NetAdapt iteration as stored.
public struct StoredNetAdaptProposal: FetchableRecord, Sendable, Hashable {
  public var iteration: Int
  public var kind: String
  public var firstUnit: Int
  public var lastUnit: Int
  public var channelsBefore: Int
  public var channelsAfter: Int
  public var hash: String
  public var predictedLatencyMs: Double
  public var accuracy: Double?
  public var slope: Double?
  public var chosen: Bool
  public var status: ProposalStatus
  public var message: String?
  public var wallSeconds: Double?

  public init(
    iteration: Int, kind: String, firstUnit: Int, lastUnit: Int, channelsBefore: Int, channelsAfter: Int, hash: String,
    predictedLatencyMs: Double, accuracy: Double?, slope: Double?, chosen: Bool = false, status: ProposalStatus, message: String?,
    wallSeconds: Double?
  ) {
    self.iteration = iteration
    self.kind = kind
    self.firstUnit = firstUnit
    self.lastUnit = lastUnit
    self.channelsBefore = channelsBefore
    self.channelsAfter = channelsAfter
    self.hash = hash
    self.predictedLatencyMs = predictedLatencyMs
    self.accuracy = accuracy
    self.slope = slope
    self.chosen = chosen
    self.status = status
    self.message = message
    self.wallSeconds = wallSeconds
  }

  public init(row: Row) throws {
    iteration = row["iteration"]
    kind = row["kind"]
    firstUnit = row["first_unit"]
    lastUnit = row["last_unit"]
    channelsBefore = row["channels_before"]
    channelsAfter = row["channels_after"]
    hash = row["architecture_hash"]
    predictedLatencyMs = row["predicted_latency_ms"]
    accuracy = row["accuracy"]
    slope = row["slope"]
    chosen = row["chosen"] ?? false
    status = try row.word("status", of: "netadapt_proposals")
    message = row["message"]
    wallSeconds = row["wall_seconds"]
  }
}

/// One step of a NetAdapt run's path as stored (iteration 0 is the seed).
public struct StoredNetAdaptIteration: Sendable, Hashable {
  public var iteration: Int
  public var hash: String
  public var predictedLatencyMs: Double
  public var accuracy: Double?
  public var cut: String?
  public var proposals: Int
}

extension ResultsStore {
  /// Commits one evaluated proposal (replacing an earlier record of the same cut, which a
  /// resumed iteration may evaluate again after a failure).
  public func recordNetAdaptProposal(run: Int64, architecture: Architecture, _ p: StoredNetAdaptProposal) throws {
    try recordArchitecture(architecture, spacePath: nil)
    try write { db in
      try db.execute(
        sql: """
          INSERT INTO netadapt_proposals (run_id, iteration, kind, first_unit, last_unit, channels_before, channels_after,
            architecture_hash, predicted_latency_ms, accuracy, slope, chosen, status, message, wall_seconds, created_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
          ON CONFLICT (run_id, iteration, kind, first_unit, channels_after) DO UPDATE SET last_unit = excluded.last_unit,
            channels_before = excluded.channels_before, architecture_hash = excluded.architecture_hash,
            predicted_latency_ms = excluded.predicted_latency_ms, accuracy = excluded.accuracy, slope = excluded.slope,
            chosen = excluded.chosen, status = excluded.status, message = excluded.message, wall_seconds = excluded.wall_seconds,
            created_at = excluded.created_at
          """,
        arguments: [
          run, p.iteration, p.kind, p.firstUnit, p.lastUnit, p.channelsBefore, p.channelsAfter, architecture.canonicalHash,
          p.predictedLatencyMs, p.accuracy, p.slope, p.chosen, p.status.rawValue, p.message, p.wallSeconds, Self.now(),
        ])
    }
  }

  /// The proposals of one iteration (every iteration when nil), in the order evaluated.
  public func netAdaptProposals(run: Int64, iteration: Int? = nil) throws -> [StoredNetAdaptProposal] {
    try read { db in
      let filter = iteration == nil ? "" : "AND iteration = ?"
      var arguments: [(any DatabaseValueConvertible)?] = [run]
      if let iteration { arguments.append(iteration) }
      return try db.fetchAll(
        StoredNetAdaptProposal.self, sql: "SELECT * FROM netadapt_proposals WHERE run_id = ? \(filter) ORDER BY iteration, id",
        arguments: arguments)
    }
  }

  /// Commits an iteration in one transaction: its row, the chosen proposal's flag (by kind,
  /// first unit and channel count), and the run state that `--resume` continues from.
  public func recordNetAdaptIteration(
    run: Int64, iteration: Int, architecture: Architecture, predictedLatencyMs: Double, accuracy: Double?, cut: String?,
    proposals: Int, chosen: (kind: String, firstUnit: Int, channelsAfter: Int)?, stateKey: String, state: Data
  ) throws {
    try recordArchitecture(architecture, spacePath: nil)
    try write { db in
      let now = Self.now()
      try db.execute(
        sql: """
          INSERT INTO netadapt_iterations (run_id, iteration, architecture_hash, predicted_latency_ms, accuracy, cut,
            proposals, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
          ON CONFLICT (run_id, iteration) DO UPDATE SET architecture_hash = excluded.architecture_hash,
            predicted_latency_ms = excluded.predicted_latency_ms, accuracy = excluded.accuracy, cut = excluded.cut,
            proposals = excluded.proposals, created_at = excluded.created_at
          """,
        arguments: [run, iteration, architecture.canonicalHash, predictedLatencyMs, accuracy, cut, proposals, now])
      if let chosen {
        try db.execute(
          sql: """
            UPDATE netadapt_proposals SET chosen = CASE WHEN kind = ? AND first_unit = ? AND channels_after = ? THEN 1 ELSE 0 END
            WHERE run_id = ? AND iteration = ?
            """,
          arguments: [chosen.kind, chosen.firstUnit, chosen.channelsAfter, run, iteration])
      }
      try Self.saveState(db, run: run, key: stateKey, value: state, at: now)
    }
  }

  /// The path of a NetAdapt run, seed first.
  public func netAdaptIterations(run: Int64) throws -> [StoredNetAdaptIteration] {
    try read { db in
      try db.fetchAll(sql: "SELECT * FROM netadapt_iterations WHERE run_id = ? ORDER BY iteration", arguments: [run]).map { row in
        StoredNetAdaptIteration(
          iteration: row["iteration"], hash: row["architecture_hash"], predictedLatencyMs: row["predicted_latency_ms"],
          accuracy: row["accuracy"], cut: row["cut"], proposals: row["proposals"])
      }
    }
  }
}
