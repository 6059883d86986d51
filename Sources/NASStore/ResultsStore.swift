import Foundation
import GRDB
#if canImport(Glibc)
  import Glibc
#endif
import NASArch

/// The results database: every run and every evaluated architecture, in one SQLite file
/// (WAL mode, a busy timeout so several processes can write), migrated on open.
///
/// Open it read-write to record, read-only to query: a read-only store never migrates and
/// works on a database a killed run left behind or one another process is writing.
public final class ResultsStore: @unchecked Sendable {
  public let path: String
  let writer: any DatabaseWriter
  let readOnly: Bool

  /// The default location, relative to the working directory.
  public static let defaultPath = "results/nas.sqlite"

  /// Opens (creating it and its folder when missing) and migrates the database.
  public static func open(path: String) throws -> ResultsStore {
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
      return ResultsStore(path: path, writer: pool, readOnly: false)
    } catch let error as DatabaseError {
      throw openingError(error, path: path)
    }
  }

  /// `PRAGMA quick_check` (the page and index structure, without the slower cross-checks of
  /// `integrity_check`); throws ``StoreError/damaged(path:findings:)`` with SQLite's findings.
  static func checkIntegrity(_ reader: any DatabaseReader, path: String) throws {
    let findings: [String]
    do {
      findings = try reader.read { try String.fetchAll($0, sql: "PRAGMA quick_check(20)") }
    } catch let error as DatabaseError {
      throw StoreError.damaged(path: path, findings: [error.message ?? error.description])
    }
    if findings != ["ok"] { throw StoreError.damaged(path: path, findings: findings) }
  }

  /// What SQLite's failure to open `path` means for the user: a damaged file, a file that is not
  /// SQLite, or a folder SQLite cannot create its `-wal`/`-shm` files in.
  static func openingError(_ error: DatabaseError, path: String) -> StoreError {
    switch error.resultCode {
    case .SQLITE_CORRUPT: return .damaged(path: path, findings: [error.message ?? error.description])
    case .SQLITE_NOTADB: return .notANasDatabase(path: path, reason: "not a SQLite database")
    case .SQLITE_CANTOPEN, .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_IOERR:
      let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
      if access(folder, W_OK) != 0 {
        return .unusable(
          path: path,
          reason: "SQLite cannot create its -wal and -shm files beside it because the folder \(folder) is not writable "
            + "(\(error.message ?? "\(error.resultCode)")); make the folder writable or copy the database to one that is")
      }
      return .unusable(path: path, reason: error.message ?? error.description)
    default:
      return .database(error.description)
    }
  }

  /// Opens an existing database for queries only.
  public static func openReadOnly(path: String) throws -> ResultsStore {
    guard FileManager.default.fileExists(atPath: path) else { throw StoreError.missing(path: path) }
    // An empty file is fine to migrate but has nothing to query.
    guard try inspect(path) else { throw StoreError.notANasDatabase(path: path, reason: "it is empty") }
    var config = Configuration()
    config.readonly = true
    config.busyMode = .timeout(30)
    do {
      let queue = try DatabaseQueue(path: path, configuration: config)
      return ResultsStore(path: path, writer: queue, readOnly: true)
    } catch let error as DatabaseError {
      throw openingError(error, path: path)
    }
  }

  init(path: String, writer: any DatabaseWriter, readOnly: Bool) {
    self.path = path
    self.writer = writer
    self.readOnly = readOnly
  }

  /// Refuses, without writing anything, a file that is not SQLite, a SQLite file without
  /// nas's tables, a database whose schema is newer than this build's, and with `quickCheck`
  /// a damaged one. Returns false for an empty database (no nas tables yet).
  @discardableResult
  static func inspect(_ path: String, quickCheck: Bool = false) throws -> Bool {
    guard try hasSQLiteHeader(path) else { return false }
    var config = Configuration()
    config.readonly = true
    config.busyMode = .timeout(30)
    let applied: [String]
    let tables: [String]
    do {
      let queue = try DatabaseQueue(path: path, configuration: config)
      if quickCheck { try checkIntegrity(queue, path: path) }
      (tables, applied) = try queue.read { db in
        let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
        let applied =
          tables.contains("grdb_migrations") ? try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") : []
        return (tables, applied)
      }
    } catch let error as DatabaseError {
      throw openingError(error, path: path)
    }
    // Empty, or being created by another process (GRDB creates its migrations table first).
    if tables.allSatisfy({ $0 == "grdb_migrations" || $0.hasPrefix("sqlite_") }) { return false }
    guard applied.contains(Schema.all[0].0) else {
      throw StoreError.notANasDatabase(path: path, reason: "it has tables but no nas schema")
    }
    let known = Set(Schema.all.map(\.0))
    let unknown = applied.filter { !known.contains($0) }
    if !unknown.isEmpty { throw StoreError.newerSchema(path: path, unknown: unknown) }
    return true
  }

  /// Checks what is at `path` before SQLite sees it: a directory or an unreadable file is its
  /// own error, a file that does not start with SQLite's header is not a database; false for
  /// an empty file (SQLite makes it a database).
  static func hasSQLiteHeader(_ path: String) throws -> Bool {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
      throw StoreError.unusable(path: path, reason: "it is a directory; pass the database file (e.g. \(path)/nas.sqlite) to --db")
    }
    let fd = Glibc.open(path, O_RDONLY)
    guard fd >= 0 else {
      throw StoreError.unusable(path: path, reason: "cannot read it (\(String(cString: strerror(errno))))")
    }
    defer { close(fd) }
    var header = [UInt8](repeating: 0, count: 16)
    let n = Glibc.read(fd, &header, header.count)
    if n == 0 { return false }
    guard n == 16, header == Array("SQLite format 3\0".utf8) else {
      throw StoreError.notANasDatabase(path: path, reason: "not a SQLite database")
    }
    return true
  }

  static func now() -> String { StoreTimestamp.string() }

  func write<T>(_ body: (Database) throws -> T) throws -> T {
    do { return try writer.write(body) } catch let error as DatabaseError { throw StoreError.database(error.description) }
  }

  func read<T>(_ body: (Database) throws -> T) throws -> T {
    do { return try writer.read(body) } catch let error as DatabaseError { throw StoreError.database(error.description) }
  }
}
