import Foundation
import GRDB
#if canImport(Glibc)
  import Glibc
#endif

/// The embedded engine: one SQLite file in WAL mode with a busy timeout, so several processes
/// on one host can write it; migrated on open unless opened read-only.
///
/// A read-only engine never migrates and works on a database a killed run left behind or one
/// another process is writing.
final class SQLiteEngine: StoreEngine, @unchecked Sendable {
  let path: String
  let writer: any DatabaseWriter
  var kind: StoreEngineKind { .sqlite }
  var location: String { path }

  private init(path: String, writer: any DatabaseWriter) {
    self.path = path
    self.writer = writer
  }

  /// Opens (creating it and its folder when missing) and migrates the file.
  static func open(path: String) throws -> SQLiteEngine {
    let url = URL(fileURLWithPath: path)
    try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    // A damaged file must not be written into: SQLite would append to it without a word while
    // readers fail on the damaged pages. Opening a pool already writes, so check before it.
    if FileManager.default.fileExists(atPath: path) { try inspect(path, quickCheck: true) }
    var config = Configuration()
    config.busyMode = .timeout(30)
    config.prepareDatabase { db in try db.execute(sql: "PRAGMA foreign_keys = ON") }
    do {
      // Two processes opening a new file at once would both switch it to WAL (SQLite answers
      // one of them "database is locked", whatever the busy timeout) and both apply the first
      // migration: serialise opening across processes with an advisory lock beside the database.
      let lock = Glibc.open(path + "-migrate.lock", O_CREAT | O_RDWR, 0o644)
      if lock >= 0 { flock(lock, LOCK_EX) }
      defer {
        if lock >= 0 {
          flock(lock, LOCK_UN)
          close(lock)
        }
      }
      let pool = try DatabasePool(path: path, configuration: config)
      try Schema.migrator.migrate(pool)
      return SQLiteEngine(path: path, writer: pool)
    } catch let error as DatabaseError {
      throw openingError(error, path: path)
    }
  }

  /// Opens an existing file for queries only.
  static func openReadOnly(path: String) throws -> SQLiteEngine {
    guard FileManager.default.fileExists(atPath: path) else { throw StoreError.missing(path: path) }
    // An empty file is fine to migrate but has nothing to query.
    guard try inspect(path) else { throw StoreError.notANasDatabase(path: path, reason: "it is empty") }
    var config = Configuration()
    config.readonly = true
    config.busyMode = .timeout(30)
    do {
      return SQLiteEngine(path: path, writer: try DatabaseQueue(path: path, configuration: config))
    } catch let error as DatabaseError {
      throw openingError(error, path: path)
    }
  }

  func write<T>(_ body: (any StoreSQL) throws -> T) throws -> T {
    do {
      return try writer.writeWithoutTransaction { db in
        var result: T?
        // Immediate: a transaction that reads and then writes cannot be overtaken by another
        // process's write between the two (a deferred one would fail with SQLITE_BUSY instead).
        try db.inTransaction(.immediate) {
          result = try body(SQLiteSQL(db: db))
          return .commit
        }
        return result!
      }
    } catch let error as DatabaseError {
      throw StoreError.database(error.description)
    }
  }

  func read<T>(_ body: (any StoreSQL) throws -> T) throws -> T {
    do { return try writer.read { try body(SQLiteSQL(db: $0)) } } catch let error as DatabaseError {
      throw StoreError.database(error.description)
    }
  }

  func streamReadOnly(
    _ sql: String, arguments: [String], limits: QueryLimits, columns: ([String]) throws -> Void, row: ([String?]) throws -> Void
  ) throws -> Int {
    let interrupter = DispatchWorkItem { [writer] in writer.interrupt() }
    DispatchQueue.global().asyncAfter(deadline: .now() + limits.maxSeconds, execute: interrupter)
    defer { interrupter.cancel() }
    var count = 0
    do {
      try writer.read { db in
        let statement = try Self.singleStatement(db, sql)
        guard statement.isReadonly else {
          throw StoreError.database("only statements that read are allowed here (SELECT, WITH, PRAGMA queries)")
        }
        statement.arguments = StatementArguments(arguments)
        try columns(statement.columnNames)
        let cursor = try Row.fetchCursor(statement)
        while let next = try cursor.next() {
          if count == limits.maxRows { throw QueryLimitError.rows(count) }
          try row(next.databaseValues.map { v in v.isNull ? nil : (String.fromDatabaseValue(v) ?? v.description) })
          count += 1
        }
      }
    } catch let error as DatabaseError {
      switch error.resultCode {
      case .SQLITE_INTERRUPT: throw QueryLimitError.seconds(limits.maxSeconds)
      default: throw StoreError.database(error.message ?? error.description)
      }
    }
    return count
  }

  /// The one statement in `sql`, refusing none or several in words a user of `nas db sql` can act on.
  static func singleStatement(_ db: Database, _ sql: String) throws -> Statement {
    let statements = try db.allStatements(sql: sql)
    guard let statement = try statements.next() else { throw StoreError.database("no SQL statement given; pass one SELECT") }
    // Whatever follows the first statement, even text that does not compile, is a second one.
    let more: Bool
    do { more = try statements.next() != nil } catch { more = true }
    if more { throw StoreError.database("one statement at a time; remove what follows the first ';'") }
    return statement
  }
}
