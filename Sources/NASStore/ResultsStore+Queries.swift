import Foundation

/// A query result as text cells, for tables, CSV and JSON.
public struct QueryResult: Codable, Sendable {
  public var columns: [String]
  public var rows: [[String?]]
}

extension ResultsStore {
  /// Runs one SQL statement that only reads. Writes are refused, whatever the connection.
  public func query(_ sql: String, arguments: [String] = []) throws -> QueryResult {
    var result = QueryResult(columns: [], rows: [])
    _ = try engine.streamReadOnly(
      sql, arguments: arguments, limits: QueryLimits(maxRows: .max, maxSeconds: 3600), columns: { result.columns = $0 },
      row: { result.rows.append($0) })
    return result
  }

  /// Refuses an unknown run id, so a typo is not mistaken for a run without results.
  func requireRun(_ run: Int64) throws {
    guard try query("SELECT 1 FROM runs WHERE id = ?", arguments: [String(run)]).rows.count == 1 else {
      throw StoreError.notFound("run \(run) (nas db runs lists them)")
    }
  }

  /// Runs, newest first, with their evaluation counts, best reward (NULL, not 0, when no
  /// evaluation has one, as in latency-table runs) and the search run a NetAdapt run continues.
  public func runs() throws -> QueryResult {
    let continues = try continuesRunColumn()
    return try query(
      """
      SELECT r.id, r.kind, r.name, r.status, r.started_at, r.ended_at,
        (SELECT COUNT(*) FROM evaluations e WHERE e.run_id = r.id
          AND (e.message IS NULL OR e.message NOT LIKE '\(Self.staleMessagePrefix)%')) AS evaluations,
        (SELECT COUNT(*) FROM evaluations e WHERE e.run_id = r.id AND e.message LIKE '\(Self.staleMessagePrefix)%') AS stale,
        (SELECT CASE WHEN MAX(reward) IS NULL THEN NULL ELSE printf('%.4f', MAX(reward)) END
          FROM evaluations e WHERE e.run_id = r.id AND e.status = 'ok') AS best_reward,
        \(continues) AS continues
      FROM runs r ORDER BY r.id DESC
      """)
  }

  /// The best evaluations by reward, accuracy or (lowest) latency, optionally of one run. A
  /// candidate of successive halving appears once, at the highest rung it finished (its reward
  /// is that rung's).
  public func top(run: Int64?, by key: String, limit: Int) throws -> QueryResult {
    let order: String
    switch key {
    // NULLS LAST on both sides: the engines' defaults differ (PostgreSQL puts NULLs first in
    // descending order, SQLite last).
    case "reward": order = "e.reward DESC NULLS LAST"
    case "accuracy": order = "e.accuracy DESC NULLS LAST"
    case "latency": order = "COALESCE(e.measured_latency_ms, e.predicted_latency_ms) ASC NULLS LAST"
    default: throw StoreError.notFound("ordering '\(key)' (use reward, accuracy or latency)")
    }
    if let run { try requireRun(run) }
    return try query(
      """
      SELECT e.id AS evaluation, e.run_id AS run, e.trial, substr(e.architecture_hash, 1, 12) AS hash,
        e.rung, round(e.reward, 4) AS reward, round(e.accuracy, 4) AS accuracy,
        round(e.predicted_latency_ms, 3) AS predicted_ms, round(e.measured_latency_ms, 3) AS measured_ms,
        a.macs, a.params, e.evaluator
      FROM evaluations e JOIN architectures a ON a.hash = e.architecture_hash
      WHERE e.status = 'ok' \(run == nil ? "" : "AND e.run_id = \(run!)")
        AND NOT EXISTS (
          SELECT 1 FROM evaluations h WHERE h.run_id = e.run_id AND h.architecture_hash = e.architecture_hash AND h.status = 'ok'
            AND h.rung > e.rung)
      ORDER BY \(order) LIMIT \(max(1, limit))
      """)
  }

  /// An architecture by hash prefix, or an evaluation by id, with everything recorded about it.
  public func show(_ key: String) throws -> QueryResult {
    if let id = Int64(key), try query("SELECT 1 FROM evaluations WHERE id = ?", arguments: [String(id)]).rows.count == 1 {
      return try query(
        """
        SELECT e.*, a.canonical_text, a.macs, a.params FROM evaluations e JOIN architectures a ON a.hash = e.architecture_hash
        WHERE e.id = ?
        """, arguments: [String(id)])
    }
    let prefix = key.lowercased()
    guard !prefix.isEmpty, prefix.allSatisfy({ $0.isHexDigit }) else {
      throw StoreError.notFound("evaluation or architecture '\(key)' (give an evaluation id or a hash prefix)")
    }
    let matches = try query("SELECT hash FROM architectures WHERE hash LIKE ? ORDER BY hash LIMIT 9", arguments: [prefix + "%"])
    let hashes = matches.rows.compactMap { $0.first ?? nil }
    guard let hash = hashes.first else {
      let what = Int64(key) == nil ? "" : "evaluation \(key) or "
      throw StoreError.notFound("\(what)architecture with a hash starting \(prefix)")
    }
    if hashes.count > 1 { throw StoreError.ambiguous("hash prefix \(prefix)", candidates: hashes.map { String($0.prefix(16)) }) }
    return try query(
      """
      SELECT a.hash, a.name, a.macs, a.params, a.input_resolution, a.canonical_text,
        (SELECT COUNT(*) FROM evaluations e WHERE e.architecture_hash = a.hash) AS evaluations,
        (SELECT printf('%.4f', MAX(accuracy)) FROM evaluations e WHERE e.architecture_hash = a.hash AND e.status = 'ok') AS best_accuracy
      FROM architectures a WHERE a.hash = ?
      """, arguments: [hash])
  }
}

extension ResultsStore {
  /// One run's successful evaluations (measured latency when there is one, else predicted).
  public func evaluations(run: Int64) throws -> QueryResult {
    try requireRun(run)
    return try query(
      """
      SELECT e.id AS evaluation, e.trial, e.architecture_hash AS hash, e.status, e.accuracy, e.predicted_latency_ms,
        e.measured_latency_ms, e.reward, e.reused, e.evaluator, e.message, a.macs, a.params
      FROM evaluations e JOIN architectures a ON a.hash = e.architecture_hash
      WHERE e.run_id = ? ORDER BY e.trial, e.id
      """, arguments: [String(run)])
  }

  /// The accuracy–latency front of one run, on predicted latency (every candidate has one; only
  /// the best few are measured end to end, so mixing the two would compare unlike figures).
  public func pareto(run: Int64) throws -> QueryResult {
    let all = try evaluations(run: run)
    let col = Dictionary(uniqueKeysWithValues: all.columns.enumerated().map { ($1, $0) })
    var rows: [[String?]] = []
    var points: [(latency: Double, accuracy: Double)] = []
    for row in all.rows where row[col["status"]!] == "ok" {
      let latency = row[col["predicted_latency_ms"]!].flatMap(Double.init)
      guard let latency, let accuracy = row[col["accuracy"]!].flatMap(Double.init) else { continue }
      points.append((latency, accuracy))
      rows.append([
        row[col["evaluation"]!], row[col["trial"]!], row[col["hash"]!].map { String($0.prefix(12)) }, String(accuracy), String(latency),
        row[col["measured_latency_ms"]!], row[col["macs"]!],
      ])
    }
    let front = ParetoFront.indices(points)
    let columns = ["evaluation", "trial", "hash", "accuracy", "predicted_latency_ms", "measured_latency_ms", "macs"]
    return QueryResult(columns: columns, rows: front.map { rows[$0] })
  }
}
