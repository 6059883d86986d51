import Foundation
import GRDB

extension ResultsStore {
  /// Records that `run` continues the search run `origin` (nil clears the link).
  public func setContinuesRun(_ run: Int64, origin: Int64?) throws {
    try write { db in
      try db.execute(sql: "UPDATE runs SET continues_run = ? WHERE id = ?", arguments: [origin, run])
    }
  }

  /// The search run that `run` continues, if any.
  public func continuesRun(_ run: Int64) throws -> Int64? {
    try read { db in
      try db.value(Int64.self, sql: "SELECT continues_run FROM runs WHERE id = ?", arguments: [run])
    }
  }

  /// `r.continues_run`, or NULL in a database opened read-only before migration v8 (the
  /// `nas db` commands do not migrate, and an older file has no link to show).
  func continuesRunColumn() throws -> String {
    // A server's database is always migrated when opened.
    guard engine.kind == .sqlite else { return "r.continues_run" }
    return try query("SELECT 1 FROM pragma_table_info('runs') WHERE name = 'continues_run'").rows.isEmpty ? "NULL" : "r.continues_run"
  }
}
