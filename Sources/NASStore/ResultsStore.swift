import Foundation
import GRDB
import NASArch

/// The results database: every run and every evaluated architecture, in an SQLite file (the
/// embedded default) or on a PostgreSQL server (one study for workers on several hosts), with
/// the same schema, migrations and answers on both; migrated on open.
///
/// Open it read-write to record, read-only to query: a read-only SQLite store never migrates and
/// works on a database a killed run left behind or one another process is writing.
public final class ResultsStore: @unchecked Sendable {
  let engine: any StoreEngine

  /// The default location, relative to the working directory.
  public static let defaultPath = "results/nas.sqlite"

  /// Where the results are: the file path, or the server URL without its password.
  public var path: String { engine.location }
  public var engineKind: StoreEngineKind { engine.kind }

  /// Whether `location` names a PostgreSQL server (`postgres://` or `postgresql://`) rather than a file.
  public static func isServerURL(_ location: String) -> Bool {
    location.hasPrefix("postgres://") || location.hasPrefix("postgresql://")
  }

  /// `location` safe to print and record: a server URL without its password.
  public static func redacted(_ location: String) -> String {
    isServerURL(location) ? PostgresConnection.redacted(location) : location
  }

  /// Opens and migrates the database at `path`: an SQLite file (created with its folder when
  /// missing) or a `postgres://` URL (credentials from the URL or the PG* variables).
  public static func open(path: String) throws -> ResultsStore {
    if isServerURL(path) { return ResultsStore(engine: try PostgresEngine.open(url: path)) }
    return ResultsStore(engine: try SQLiteEngine.open(path: path))
  }

  /// Opens an existing database for queries only (a server's database is opened as for writing:
  /// the queries are still read-only transactions).
  public static func openReadOnly(path: String) throws -> ResultsStore {
    if isServerURL(path) { return ResultsStore(engine: try PostgresEngine.open(url: path)) }
    return ResultsStore(engine: try SQLiteEngine.openReadOnly(path: path))
  }

  init(engine: any StoreEngine) {
    self.engine = engine
  }

  static func now() -> String { StoreTimestamp.string() }

  /// A write transaction; its result may be dropped (a body that only executes returns the changed-row count).
  @discardableResult
  func write<T>(_ body: (any StoreSQL) throws -> T) throws -> T { try engine.write(body) }

  func read<T>(_ body: (any StoreSQL) throws -> T) throws -> T { try engine.read(body) }
}
