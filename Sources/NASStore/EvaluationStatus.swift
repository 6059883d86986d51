/// The state of an evaluation, stored as text in `evaluations.status` (the schema's CHECK
/// lists the same words). A stored word this build does not know is an error
/// (``StoreError/unknownValue(table:column:value:)``), never read as something else.
public enum EvaluationStatus: String, Codable, CaseIterable, Sendable {
  case running, ok, failed
  case timedOut = "timed out"

  /// The status stored in `table.column`, or an error naming the word.
  public static func stored(_ word: String, table: String = "evaluations", column: String = "status") throws -> EvaluationStatus {
    guard let status = EvaluationStatus(rawValue: word) else { throw StoreError.unknownValue(table: table, column: column, value: word) }
    return status
  }
}
