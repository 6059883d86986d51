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
    }
  }
}
