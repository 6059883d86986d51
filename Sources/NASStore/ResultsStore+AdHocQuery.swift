import Foundation

/// Bounds on a query a user types (`nas db sql`): a statement without a bound, such as a
/// recursive CTE, must end with a message instead of growing until the machine runs out.
public struct QueryLimits: Sendable, Equatable {
  /// Rows returned before the query is stopped.
  public var maxRows: Int
  /// Wall time before the database is told to stop (which also bounds the memory a runaway query takes).
  public var maxSeconds: Double

  public static let defaults = QueryLimits(maxRows: 10_000, maxSeconds: 30)

  public init(maxRows: Int, maxSeconds: Double) {
    self.maxRows = maxRows
    self.maxSeconds = maxSeconds
  }
}

/// Why a bounded query ended before its last row; the rows before it were delivered.
public enum QueryLimitError: Error, CustomStringConvertible, Equatable, Sendable {
  case rows(Int)
  case seconds(Double)

  public var description: String {
    switch self {
    case .rows(let n):
      return "stopped after \(n) rows (the row limit); add LIMIT to the query or raise it with --max-rows"
    case .seconds(let s):
      return "stopped after \(String(format: "%g", s)) s (the time limit); narrow the query or raise it with --max-seconds"
    }
  }
}

extension ResultsStore {
  /// Runs one statement that only reads, handing over the column names and then each row as it
  /// comes; returns the number of rows. Stops with ``QueryLimitError`` at the first limit hit.
  public func streamQuery(
    _ sql: String, limits: QueryLimits, columns: ([String]) throws -> Void, row: ([String?]) throws -> Void
  ) throws -> Int {
    try engine.streamReadOnly(sql, arguments: [], limits: limits, columns: columns, row: row)
  }
}
