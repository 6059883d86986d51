import Foundation
import GRDB
#if canImport(Glibc)
  import Glibc
#endif

/// What is checked of a file before SQLite opens it for writing: that it is SQLite, holds nas's
/// schema, is not from a newer nas, and is not damaged, so a wrong `--db` is refused untouched.
extension SQLiteEngine {
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
}
