import Foundation
import GRDB

/// The server engine: the results on a PostgreSQL server, shared by the processes of one study
/// on any number of hosts. Connections are pooled (a process needs few: its main thread and its
/// heartbeats), opened on demand and dropped when broken.
///
/// A transaction that fails because the connection broke before it committed is run again on a
/// new connection, for up to ``reconnectSeconds`` (a server restart); then the error is the
/// caller's. A failure while committing is not retried: whether it committed is unknown.
final class PostgresEngine: StoreEngine, @unchecked Sendable {
  let url: String
  let location: String
  var kind: StoreEngineKind { .postgres }
  /// How long a transaction keeps trying to reach the server before it gives up.
  static let reconnectSeconds: TimeInterval = 60
  /// Idle connections kept for reuse; more than this are closed after use.
  static let idleConnections = 4

  private let lock = NSLock()
  private var idle: [PostgresConnection] = []

  private init(url: String) {
    self.url = url
    location = PostgresConnection.redacted(url)
  }

  /// Connects and migrates the database.
  static func open(url: String) throws -> PostgresEngine {
    let engine = PostgresEngine(url: url)
    do {
      try engine.withConnection { try PostgresSchema.migrate($0, location: engine.location) }
    } catch let error as PostgresError {
      throw StoreError.server(error.description)
    }
    return engine
  }

  func write<T>(_ body: (any StoreSQL) throws -> T) throws -> T { try transaction(readOnly: false, body) }

  func read<T>(_ body: (any StoreSQL) throws -> T) throws -> T { try transaction(readOnly: true, body) }

  /// Runs `body` in one transaction, again on a new connection when the connection broke before
  /// the commit was sent, and again when the server chose it as a deadlock victim.
  private func transaction<T>(readOnly: Bool, _ body: (any StoreSQL) throws -> T) throws -> T {
    let deadline = Date().addingTimeInterval(Self.reconnectSeconds)
    var pause: TimeInterval = 0.2
    while true {
      var committing = false
      do {
        return try withConnection { connection in
          _ = try connection.execute(readOnly ? "BEGIN READ ONLY" : "BEGIN")
          do {
            let result = try body(PostgresSession(connection: connection))
            committing = true
            _ = try connection.execute("COMMIT")
            return result
          } catch {
            if connection.isHealthy { _ = try? connection.execute("ROLLBACK") }
            throw error
          }
        }
      } catch let error as PostgresError {
        let retry = (error.isConnectionFailure && !committing) || error.isSerializationFailure
        guard retry, Date() < deadline else { throw Self.storeError(error, committing: committing) }
        Thread.sleep(forTimeInterval: pause)
        pause = min(pause * 2, 5)
      }
    }
  }

  static func storeError(_ error: PostgresError, committing: Bool) -> StoreError {
    if committing && error.isConnectionFailure {
      return .database("the connection to the server broke while committing, so whether the last write was kept is unknown: \(error)")
    }
    return .database(error.description)
  }

  func streamReadOnly(
    _ sql: String, arguments: [String], limits: QueryLimits, columns: ([String]) throws -> Void, row: ([String?]) throws -> Void
  ) throws -> Int {
    let trimmed = sql.trimmingCharacters(in: .whitespacesAndNewlines.union(CharacterSet(charactersIn: ";")))
    guard !trimmed.isEmpty else { throw StoreError.database("no SQL statement given; pass one SELECT") }
    var count = 0
    do {
      try withConnection { connection in
        _ = try connection.execute("BEGIN READ ONLY")
        defer { if connection.isHealthy { _ = try? connection.execute("ROLLBACK") } }
        _ = try connection.execute("SET LOCAL statement_timeout = \(Int(limits.maxSeconds * 1000))")
        // A cursor hands the rows over in pages, so a query without a bound stops at the row
        // limit instead of filling memory; only a query (SELECT, VALUES, WITH … SELECT) can be one.
        do {
          _ = try connection.execute("DECLARE nas_query NO SCROLL CURSOR FOR \(trimmed)", arguments.map { $0.databaseValue })
        } catch let error as PostgresError where error.sqlState == "42601" || error.sqlState == "0A000" {
          throw StoreError.database("only one statement that reads is allowed here (SELECT, WITH or VALUES): \(error)")
        }
        var announced = false
        while true {
          let page = try connection.execute("FETCH 1000 FROM nas_query")
          if !announced {
            try columns(page.columns)
            announced = true
          }
          for cells in page.cells {
            if count == limits.maxRows { throw QueryLimitError.rows(count) }
            try row(cells)
            count += 1
          }
          if page.cells.count < 1000 { break }
        }
      }
    } catch let error as PostgresError {
      if error.sqlState == "57014" { throw QueryLimitError.seconds(limits.maxSeconds) }
      if error.sqlState == "25006" {
        throw StoreError.database("only statements that read are allowed here (SELECT, WITH or VALUES)")
      }
      throw StoreError.database(error.description)
    }
    return count
  }

  /// Runs `body` on a pooled connection; a connection that broke is closed, not pooled again.
  private func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
    let connection = try take()
    defer { give(connection) }
    return try body(connection)
  }

  private func take() throws -> PostgresConnection {
    lock.lock()
    let pooled = idle.popLast()
    lock.unlock()
    if let pooled, pooled.isHealthy { return pooled }
    return try PostgresConnection(url: url)
  }

  private func give(_ connection: PostgresConnection) {
    guard connection.isHealthy else { return }
    lock.lock()
    defer { lock.unlock() }
    if idle.count < Self.idleConnections { idle.append(connection) }
  }
}

/// ``StoreSQL`` on a PostgreSQL connection inside a transaction.
struct PostgresSession: StoreSQL {
  let connection: PostgresConnection
  var kind: StoreEngineKind { .postgres }

  func execute(sql: String, arguments: [DatabaseValue]) throws -> Int {
    try connection.execute(sql, arguments).changes
  }

  func fetchAll(sql: String, arguments: [DatabaseValue]) throws -> [Row] {
    try connection.execute(sql, arguments).rows
  }
}

extension PostgresError {
  /// The SQLSTATE of a failed statement (nil for a connection failure).
  var sqlState: String? {
    if case .statement(let state, _) = self { return state }
    return nil
  }
}
