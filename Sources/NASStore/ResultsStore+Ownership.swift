import Foundation
import GRDB
#if canImport(Glibc)
  import Glibc
#endif

/// The process that works on a run: a random token of its own, its host and pid, and when it
/// last said it was alive.
public struct RunOwner: Sendable, Equatable {
  public var token: String
  public var host: String
  public var pid: Int

  public init(token: String, host: String, pid: Int) {
    self.token = token
    self.host = host
    self.pid = pid
  }

  /// This process, with a fresh token.
  public static func thisProcess() -> RunOwner {
    RunOwner(token: UUID().uuidString, host: hostName, pid: Int(ProcessInfo.processInfo.processIdentifier))
  }

  /// The environment variable that names this host in the database instead of its host name
  /// (two containers, or a test's processes, that share a host name but not their processes).
  public static let hostIDVariable = "NAS_HOST_ID"

  /// This machine's id in the database: `NAS_HOST_ID` when set, else its host name (the same
  /// every call, unlike `ProcessInfo.hostName`'s lookups). A process id means something only
  /// on its own host, so it is checked only there.
  public static let hostName: String = {
    if let id = ProcessInfo.processInfo.environment[hostIDVariable], !id.isEmpty { return id }
    var buffer = [CChar](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count - 1) == 0 else { return ProcessInfo.processInfo.hostName }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }()
}

/// How the claim on a run is judged.
public enum RunOwnership {
  /// An owner whose heartbeat is older than this is gone, even on another host.
  public static let staleAfterSeconds: TimeInterval = 60
  /// How often an owner refreshes its heartbeat (well inside `staleAfterSeconds`).
  public static let heartbeatSeconds: TimeInterval = 10

  /// Whether a recorded owner still works on its run: on this host, its process must exist;
  /// anywhere, its heartbeat must be younger than `staleAfter` seconds.
  static func isAlive(host: String, pid: Int?, heartbeatAge: TimeInterval?, staleAfter: TimeInterval) -> Bool {
    if host == RunOwner.hostName, let pid, pid > 0, kill(pid_t(pid), 0) != 0, errno == ESRCH { return false }
    guard let heartbeatAge else { return false }
    return heartbeatAge < staleAfter
  }
}

extension ResultsStore {
  /// Makes `owner` the owner of `run` unless another live process owns it (then throws
  /// ``StoreError/runOwned(run:host:pid:heartbeatAgeSeconds:)``). The check and the claim are
  /// one transaction that locks the run's row, so of two processes claiming at once, on one
  /// host or many, exactly one wins; heartbeats are judged by the database's clock.
  public func claimRun(_ run: Int64, owner: RunOwner, staleAfter: TimeInterval = RunOwnership.staleAfterSeconds) throws {
    try write { db in
      guard
        let row = try db.fetchOne(
          sql: "SELECT owner_token, owner_host, owner_pid, owner_heartbeat_at FROM runs WHERE id = ?\(db.lockRows)", arguments: [run])
      else { throw StoreError.notFound("run \(run)") }
      if let token: String = row["owner_token"], token != owner.token {
        let host: String = row["owner_host"] ?? "?"
        let pid: Int? = row["owner_pid"]
        let now = try db.now()
        let age = (row["owner_heartbeat_at"] as String?).flatMap(StoreTimestamp.date).map { now.timeIntervalSince($0) }
        if RunOwnership.isAlive(host: host, pid: pid, heartbeatAge: age, staleAfter: staleAfter) {
          throw StoreError.runOwned(run: run, host: host, pid: pid ?? 0, heartbeatAgeSeconds: age)
        }
      }
      try db.execute(
        sql: "UPDATE runs SET owner_token = ?, owner_host = ?, owner_pid = ?, owner_heartbeat_at = \(db.nowSQL) WHERE id = ?",
        arguments: [owner.token, owner.host, owner.pid, run])
    }
  }

  /// Refreshes the owner's heartbeat; false when the run is no longer this owner's (another
  /// process took it over after this one fell silent).
  public func refreshRunOwnership(_ run: Int64, token: String) throws -> Bool {
    try write { db in
      try db.execute(
        sql: "UPDATE runs SET owner_heartbeat_at = \(db.nowSQL) WHERE id = ? AND owner_token = ?", arguments: [run, token]) == 1
    }
  }

  /// Sets the run's final status and gives it up, if `token` still owns it; false otherwise
  /// (the run and its status are then the new owner's and are left alone).
  public func finishOwnedRun(_ run: Int64, token: String, status: RunStatus) throws -> Bool {
    try write { db in
      try db.execute(
        sql: """
          UPDATE runs SET status = ?, ended_at = ?, owner_token = NULL, owner_heartbeat_at = NULL
          WHERE id = ? AND owner_token = ?
          """,
        arguments: [status.rawValue, status == .running ? nil : Self.now(), run, token]) == 1
    }
  }
}
