import Foundation

/// The results database's one timestamp format: ISO 8601 in UTC with fractional seconds
/// (`2026-12-04T09:01:04.123Z`), which sorts as text and reads in the plain sqlite3 shell.
public enum StoreTimestamp {
  // A formatter per call: ISO8601DateFormatter is not Sendable, and timestamps are rare.
  private static func formatter() -> ISO8601DateFormatter {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return f
  }

  public static func string(_ date: Date = Date()) -> String { formatter().string(from: date) }

  public static func date(_ text: String) -> Date? { formatter().date(from: text) }
}
