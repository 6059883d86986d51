import Foundation
import NASStore

/// Why a report cannot be made.
public enum ReportError: Error, CustomStringConvertible, Sendable {
  case noSuchRun(run: Int64, database: String)
  case unreadable(String)

  public var description: String {
    switch self {
    case .noSuchRun(let run, let database): return "\(database): no run \(run) (nas db runs lists them)"
    case .unreadable(let message): return "cannot read the run: \(message)"
    }
  }
}

/// One row of a query by column name, with the numbers parsed.
struct ReportRow {
  var values: [String: String]

  subscript(_ column: String) -> String? { values[column] }
  func double(_ column: String) -> Double? { values[column].flatMap(Double.init) }
  func int(_ column: String) -> Int64? { values[column].flatMap { Int64($0) ?? Double($0).map { Int64($0) } } }

  static func all(_ store: ResultsStore, _ sql: String, _ arguments: [String] = []) throws -> [ReportRow] {
    let result = try store.query(sql, arguments: arguments)
    return result.rows.map { row in
      ReportRow(values: Dictionary(zip(result.columns, row).compactMap { c, v in v.map { (c, $0) } }, uniquingKeysWith: { a, _ in a }))
    }
  }
}

extension RunRecord {
  /// Run `id`, or ``ReportError/noSuchRun(run:database:)``.
  static func report(_ id: Int64, store: ResultsStore) throws -> RunRecord {
    guard let run = try store.run(id) else { throw ReportError.noSuchRun(run: id, database: store.path) }
    return run
  }

  /// Seconds from start to end (to now for a run still going).
  var wallSeconds: Double? {
    guard let start = StoreTimestamp.date(startedAt) else { return nil }
    return (endedAt.flatMap(StoreTimestamp.date) ?? Date()).timeIntervalSince(start)
  }

  /// The stored settings, as JSON.
  var settings: [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(parameters.utf8))) as? [String: Any] ?? [:]
  }
}

/// The newest `nas latency validate` result of a device profile.
struct ReportValidation {
  var run: Int64?
  var kind: String
  var count: Int
  var mapePercent: Double
  var within5: Double
  var within10: Double
  var createdAt: String

  static func latest(profile: String, store: ResultsStore) throws -> ReportValidation? {
    try ReportRow.all(store, "SELECT * FROM latency_validations WHERE profile_id = ? ORDER BY id DESC LIMIT 1", [profile]).first.map { r in
      ReportValidation(
        run: r.int("run_id"), kind: r["kind"] ?? "", count: Int(r.int("count") ?? 0), mapePercent: r.double("mape") ?? .nan,
        within5: r.double("within5") ?? .nan, within10: r.double("within10") ?? .nan, createdAt: r["created_at"] ?? "")
    }
  }
}
