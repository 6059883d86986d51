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

/// Where a latency sample's configuration came from, stored as text in `latency_samples.source`.
public enum SampleSource: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
  /// A unit a space (or a reference network) can produce.
  case grid
  /// A unit with channel counts between the choice grid (from shrunk networks).
  case offgrid
  /// Read from a CSV file.
  case `import`
}

/// Which statistic of its timed runs a stored sample or network timing is. Samples of different
/// statistics describe different speeds of the machine and are never mixed in one table.
public enum SampleStatistic: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
  /// The median of the runs: the first statistic `nas` stored (and what CSV files without a
  /// `statistic` column hold). Kept in the database, not used for prediction.
  case median
  /// The fastest run (what NASLatency's `TimingSummary.latency` reports).
  case fastest

  /// What this version measures and predicts from.
  public static let current = SampleStatistic.fastest
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
