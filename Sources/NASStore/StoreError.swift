/// What can go wrong opening or using the results database.
public enum StoreError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The file was written by a newer `nas` (its schema has migrations this build does not know).
  case newerSchema(path: String, unknown: [String])
  /// The file is not SQLite, or is SQLite without `nas`'s tables.
  case notANasDatabase(path: String, reason: String)
  /// Opening read-only needs an existing file.
  case missing(path: String)
  /// A lookup matched nothing, or more than one thing.
  case notFound(String)
  case ambiguous(String, candidates: [String])
  /// An SQLite failure, with the statement's context.
  case database(String)
  /// SQLite's `quick_check` found damage; nothing was written.
  case damaged(path: String, findings: [String])
  /// The path cannot be used as a database (a directory, unreadable, a folder SQLite cannot write in).
  case unusable(path: String, reason: String)
  /// Another live process works on the run (it was created or resumed there).
  case runOwned(run: Int64, host: String, pid: Int, heartbeatAgeSeconds: Double?)
  /// The PostgreSQL server could not be reached or refused the connection (libpq's words, with
  /// what to check; never the password).
  case server(String)
  /// A stored word outside the set this build knows (a newer nas, or a hand edit).
  case unknownValue(table: String, column: String, value: String)

  public var description: String {
    switch self {
    case .newerSchema(let path, let unknown):
      return "\(path): written by a newer nas (unknown migrations: \(unknown.joined(separator: ", "))); upgrade nas, the file was left untouched"
    case .notANasDatabase(let path, let reason):
      return "\(path): not a nas results database (\(reason)); the file was left untouched, pass another --db"
    case .missing(let path):
      return "\(path): no such database; run a search first or pass --db PATH"
    case .notFound(let what):
      return "no \(what)"
    case .ambiguous(let what, let candidates):
      return "\(what) is ambiguous: \(candidates.prefix(8).joined(separator: ", ")); give more characters"
    case .database(let message):
      return "database error: \(message)"
    case .damaged(let path, let findings):
      return "\(path): the database is damaged, so nothing was written to it. SQLite's quick_check found:\n"
        + findings.prefix(10).map { "  \($0)" }.joined(separator: "\n")
        + "\nrecover what is readable with `sqlite3 \(path) .recover | sqlite3 recovered.sqlite`, or pass another --db"
    case .unusable(let path, let reason):
      return "\(path): \(reason)"
    case .runOwned(let run, let host, let pid, let age):
      let beat = age.map { "last heartbeat \(Int($0.rounded())) s ago" } ?? "no heartbeat yet"
      return "run \(run) is in use by process \(pid) on \(host) (\(beat)); wait for it to end or stop it with Ctrl-C, "
        + "then resume again (a process that died is taken over at once on this host, after "
        + "\(Int(RunOwnership.staleAfterSeconds)) s without a heartbeat from another host)"
    case .server(let message):
      return message
    case .unknownValue(let table, let column, let value):
      return "\(table).\(column) holds '\(value)', which this nas does not know (written by a newer nas, or edited by hand); upgrade nas or fix the row"
    }
  }
}
