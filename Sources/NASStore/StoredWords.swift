import GRDB

/// Why a whole network was timed, stored as text in `latency_networks.purpose`.
public enum NetworkPurpose: String, Codable, CaseIterable, Sendable {
  /// By `nas bench`, for the predictor's overhead term (and as drift references).
  case fit
  /// By `nas latency validate`.
  case validate
  /// By `nas latency measure` or a search's end-to-end check.
  case measure
}

/// Whether a NetAdapt proposal's short fine-tune gave an accuracy, stored as text in
/// `netadapt_proposals.status`.
public enum ProposalStatus: String, Codable, CaseIterable, Sendable {
  case ok, failed
}

extension Row {
  /// The stored word in `column` as one of `T`'s values; a word this build does not know is
  /// ``StoreError/unknownValue(table:column:value:)``, never a default.
  func word<T: RawRepresentable>(_ column: String, of table: String) throws -> T where T.RawValue == String {
    let text: String = self[column]
    guard let value = T(rawValue: text) else { throw StoreError.unknownValue(table: table, column: column, value: text) }
    return value
  }
}
