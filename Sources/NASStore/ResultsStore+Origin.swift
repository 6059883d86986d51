import Foundation
import GRDB

/// A search run as NetAdapt needs it to continue the search: its settings and device.
public struct SearchRunRecord: Sendable, Hashable {
  public var id: Int64
  public var status: String
  /// The run's stored settings (a `SearchConfiguration` as JSON).
  public var parametersJSON: String
  /// The device profile its latencies were predicted for.
  public var deviceProfile: String?
}

extension ResultsStore {
  /// Search run `id`, or nil when there is none or it is another kind of run.
  public func searchRun(_ id: Int64) throws -> SearchRunRecord? {
    try read { db in
      try Row.fetchOne(db, sql: "SELECT id, status, parameters, device_profile FROM runs WHERE id = ? AND kind = 'search'", arguments: [id])
        .map(Self.searchRunRecord)
    }
  }

  /// The search runs with a successful evaluation of the architecture `hash`, newest first.
  public func searchRuns(evaluating hash: String) throws -> [SearchRunRecord] {
    try read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT r.id, r.status, r.parameters, r.device_profile FROM runs r
          WHERE r.kind = 'search' AND EXISTS (
            SELECT 1 FROM evaluations e WHERE e.run_id = r.id AND e.architecture_hash = ? AND e.status = 'ok')
          ORDER BY r.id DESC
          """, arguments: [hash]
      ).map(Self.searchRunRecord)
    }
  }

  /// Records that `run` continues the search run `origin` (nil clears the link).
  public func setContinuesRun(_ run: Int64, origin: Int64?) throws {
    try write { db in
      try db.execute(sql: "UPDATE runs SET continues_run = ? WHERE id = ?", arguments: [origin, run])
    }
  }

  /// The search run that `run` continues, if any.
  public func continuesRun(_ run: Int64) throws -> Int64? {
    try read { db in
      try Int64.fetchOne(db, sql: "SELECT continues_run FROM runs WHERE id = ?", arguments: [run])
    }
  }

  /// `r.continues_run`, or NULL in a database opened read-only before migration v8 (the
  /// `nas db` commands do not migrate, and an older file has no link to show).
  func continuesRunColumn() throws -> String {
    try query("SELECT 1 FROM pragma_table_info('runs') WHERE name = 'continues_run'").rows.isEmpty ? "NULL" : "r.continues_run"
  }

  private static func searchRunRecord(_ row: Row) -> SearchRunRecord {
    SearchRunRecord(id: row["id"], status: row["status"], parametersJSON: row["parameters"], deviceProfile: row["device_profile"])
  }
}
