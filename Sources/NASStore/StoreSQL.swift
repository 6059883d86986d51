import Foundation
import GRDB

/// Which database server keeps the results: an SQLite file (the embedded default) or a
/// PostgreSQL server (one study shared by workers on several hosts).
public enum StoreEngineKind: String, Sendable, Codable {
  case sqlite, postgres
}

/// The statements of one transaction, on either engine. SQL is written once, with `?`
/// placeholders, in the dialect both engines share (`INSERT … ON CONFLICT`, `RETURNING`,
/// `CASE` rather than boolean values); the few places they differ ask for ``nowSQL`` or
/// ``lockRows``. Rows come back as GRDB `Row`s, so records decode the same from both.
protocol StoreSQL {
  var kind: StoreEngineKind { get }
  /// Runs a statement; returns how many rows it changed.
  @discardableResult
  func execute(sql: String, arguments: [DatabaseValue]) throws -> Int
  func fetchAll(sql: String, arguments: [DatabaseValue]) throws -> [Row]
}

extension StoreSQL {
  @discardableResult
  func execute(sql: String, arguments: [(any DatabaseValueConvertible)?] = []) throws -> Int {
    try execute(sql: sql, arguments: arguments.map { $0?.databaseValue ?? .null })
  }

  func fetchAll(sql: String, arguments: [(any DatabaseValueConvertible)?] = []) throws -> [Row] {
    try fetchAll(sql: sql, arguments: arguments.map { $0?.databaseValue ?? .null })
  }

  func fetchOne(sql: String, arguments: [(any DatabaseValueConvertible)?] = []) throws -> Row? {
    try fetchAll(sql: sql, arguments: arguments).first
  }

  /// The first column of the first row, or nil (no row, or NULL).
  func value<T: DatabaseValueConvertible>(_ type: T.Type, sql: String, arguments: [(any DatabaseValueConvertible)?] = []) throws -> T? {
    guard let row = try fetchOne(sql: sql, arguments: arguments) else { return nil }
    return T.fromDatabaseValue(row.databaseValues.first ?? .null)
  }

  /// Records of type `R` decoded from each row.
  func fetchAll<R: FetchableRecord>(_ type: R.Type, sql: String, arguments: [(any DatabaseValueConvertible)?] = []) throws -> [R] {
    try fetchAll(sql: sql, arguments: arguments).map { try R(row: $0) }
  }

  /// Inserts `record` into its table and returns the id the database gave the row.
  func insertReturningID<R: EncodableRecord & TableRecord>(_ record: R) throws -> Int64 {
    let values = try record.databaseDictionary.sorted { $0.key < $1.key }
    let columns = values.map(\.key).joined(separator: ", ")
    let marks = Array(repeating: "?", count: values.count).joined(separator: ", ")
    let sql = "INSERT INTO \(R.databaseTableName) (\(columns)) VALUES (\(marks)) RETURNING id"
    guard let id = try value(Int64.self, sql: sql, arguments: values.map(\.value)) else {
      throw StoreError.database("inserting into \(R.databaseTableName) returned no id")
    }
    return id
  }

  /// An expression for the database's clock as a ``StoreTimestamp`` string. Heartbeats are
  /// written and judged by it, so hosts whose clocks disagree still agree on who is alive.
  var nowSQL: String {
    switch kind {
    case .sqlite: return "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
    case .postgres: return #"to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"#
    }
  }

  /// What ends a SELECT whose rows the transaction goes on to change, so that a second writer
  /// waits for them (PostgreSQL); SQLite's write transactions already exclude each other.
  var lockRows: String { kind == .postgres ? " FOR UPDATE" : "" }

  /// The database's clock now.
  func now() throws -> Date {
    guard let text = try value(String.self, sql: "SELECT \(nowSQL)"), let date = StoreTimestamp.date(text) else {
      throw StoreError.database("the database did not tell its time")
    }
    return date
  }
}

/// ``StoreSQL`` on an SQLite connection inside a GRDB transaction.
struct SQLiteSQL: StoreSQL {
  let db: Database
  var kind: StoreEngineKind { .sqlite }

  func execute(sql: String, arguments: [DatabaseValue]) throws -> Int {
    try db.execute(sql: sql, arguments: StatementArguments(arguments))
    return db.changesCount
  }

  func fetchAll(sql: String, arguments: [DatabaseValue]) throws -> [Row] {
    try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments))
  }
}
