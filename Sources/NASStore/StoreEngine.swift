import Foundation
import GRDB

/// The database under a ``ResultsStore``: it runs transactions of ``StoreSQL`` and the
/// bounded read-only queries users type. ``SQLiteEngine`` and ``PostgresEngine`` are the two.
protocol StoreEngine: Sendable {
  var kind: StoreEngineKind { get }
  /// The file path, or the server URL without its password: safe to print and record.
  var location: String { get }
  /// A transaction that writes. Of two that read a row and then change it, the second waits for
  /// the first (SQLite takes the write lock at once; PostgreSQL locks rows read with
  /// ``StoreSQL/lockRows``).
  func write<T>(_ body: (any StoreSQL) throws -> T) throws -> T
  /// A transaction that only reads.
  func read<T>(_ body: (any StoreSQL) throws -> T) throws -> T
  /// One statement that only reads, with its column names and each row as text, stopped at
  /// `limits`; returns the number of rows (see ``ResultsStore/streamQuery(_:limits:columns:row:)``).
  func streamReadOnly(
    _ sql: String, arguments: [String], limits: QueryLimits, columns: ([String]) throws -> Void, row: ([String?]) throws -> Void
  ) throws -> Int
}
