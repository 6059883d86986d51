import Foundation
import GRDB

/// The kinds of run the database records.
public enum RunKind: String, Codable, CaseIterable, Sendable, DatabaseValueConvertible { case search, netadapt, bench, validate, train }
/// A run's lifecycle.
public enum RunStatus: String, Codable, CaseIterable, Sendable, DatabaseValueConvertible { case running, finished, interrupted, failed }

/// A row of `runs`: one search, NetAdapt, bench, validate or training run, with its settings and
/// its owner. Read with GRDB's record decoding: a kind or status this build does not know is an
/// error, not a default.
public struct RunRecord: Codable, FetchableRecord, Sendable, Hashable {
  public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase

  public var id: Int64
  public var kind: RunKind
  public var name: String?
  public var commandLine: String
  /// The run's settings as JSON (a kind's own type; `--resume` compares them).
  public var parameters: String
  public var spacePath: String?
  public var spaceHash: String?
  public var seed: Int64?
  public var status: RunStatus
  public var startedAt: String
  public var endedAt: String?
  public var toolVersion: String
  public var deviceProfile: String?
  /// The search run a NetAdapt run continues (absent in a file read before migration v8).
  public var continuesRun: Int64?
}

/// The row a new run starts as (its id is the database's to choose).
struct NewRunRow: Encodable, EncodableRecord, TableRecord {
  static let databaseTableName = "runs"
  static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

  var kind: RunKind
  var name: String?
  var commandLine: String
  var parameters: String
  var spacePath: String?
  var spaceHash: String?
  var seed: Int64?
  var status = RunStatus.running
  var startedAt: String
  var toolVersion: String
  var deviceProfile: String?
  var ownerToken: String?
  var ownerHost: String?
  var ownerPid: Int?
}

extension ResultsStore {
  /// Records a new run (status running, owned by `owner` when given) and returns its id.
  public func createRun(
    kind: RunKind, name: String?, commandLine: String, parametersJSON: String, spacePath: String?, spaceHash: String?,
    seed: UInt64?, toolVersion: String, deviceProfile: String?, owner: RunOwner? = nil
  ) throws -> Int64 {
    try write { db in
      let now = Self.now()
      let row = NewRunRow(
        kind: kind, name: name, commandLine: commandLine, parameters: parametersJSON, spacePath: spacePath, spaceHash: spaceHash,
        seed: seed.map { Int64(bitPattern: $0) }, startedAt: now, toolVersion: toolVersion, deviceProfile: deviceProfile,
        ownerToken: owner?.token, ownerHost: owner?.host, ownerPid: owner?.pid)
      let id = try db.insertReturningID(row)
      if owner != nil { try db.execute(sql: "UPDATE runs SET owner_heartbeat_at = \(db.nowSQL) WHERE id = ?", arguments: [id]) }
      return id
    }
  }

  /// A run by id.
  public func run(_ id: Int64) throws -> RunRecord? {
    try read { db in try db.fetchAll(RunRecord.self, sql: "SELECT * FROM runs WHERE id = ?", arguments: [id]).first }
  }

  /// The newest run of `kind`, optionally with a given name.
  public func latestRun(kind: RunKind, name: String?) throws -> RunRecord? {
    try read { db in
      try db.fetchAll(
        RunRecord.self, sql: "SELECT * FROM runs WHERE kind = ?\(name == nil ? "" : " AND name = ?") ORDER BY id DESC LIMIT 1",
        arguments: [kind.rawValue] + (name.map { [$0] } ?? [])
      ).first
    }
  }

  /// Search run `id`, or nil when there is none or it is another kind of run.
  public func searchRun(_ id: Int64) throws -> RunRecord? {
    try read { db in try db.fetchAll(RunRecord.self, sql: "SELECT * FROM runs WHERE id = ? AND kind = 'search'", arguments: [id]).first }
  }

  /// The search runs with a successful evaluation of the architecture `hash`, newest first.
  public func searchRuns(evaluating hash: String) throws -> [RunRecord] {
    try read { db in
      try db.fetchAll(
        RunRecord.self,
        sql: """
          SELECT r.* FROM runs r
          WHERE r.kind = 'search' AND EXISTS (
            SELECT 1 FROM evaluations e WHERE e.run_id = r.id AND e.architecture_hash = ? AND e.status = 'ok')
          ORDER BY r.id DESC
          """, arguments: [hash])
    }
  }
}
