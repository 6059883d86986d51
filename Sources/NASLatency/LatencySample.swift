import NASArch
import NASSpace

/// Where a sample's configuration came from.
public enum SampleSource: String, Codable, Sendable, CaseIterable {
  /// A unit a space (or a reference network) can produce.
  case grid
  /// A unit with channel counts between the choice grid (from shrunk networks).
  case offgrid
  /// Read from a CSV file.
  case `import`
}

/// Which statistic of its timed runs a stored sample or network timing is. Samples of different
/// statistics describe different speeds of the machine and are never mixed in one table.
public enum SampleStatistic: String, Codable, Sendable, CaseIterable {
  /// The median of the runs: the first statistic `nas` stored (and what CSV files without a
  /// `statistic` column hold). Kept in the database, not used for prediction.
  case median
  /// The fastest run (``TimingSummary/latencyQuantile``).
  case fastest

  /// What this version measures and predicts from.
  public static let current = SampleStatistic.fastest
}

/// One microbenchmark sample: the fastest of `runs` timed runs of one unit configuration.
public struct LatencySample: Codable, Sendable, Hashable {
  public var configuration: UnitConfiguration
  public var source: SampleSource
  public var microseconds: Double
  public var runs: Int
  public var round: Int?
  public var statistic: SampleStatistic

  public init(
    configuration: UnitConfiguration, source: SampleSource, microseconds: Double, runs: Int, round: Int? = nil,
    statistic: SampleStatistic = .current
  ) {
    self.configuration = configuration
    self.source = source
    self.microseconds = microseconds
    self.runs = runs
    self.round = round
    self.statistic = statistic
  }

  public var key: String { UnitKey.text(configuration) }
}

/// A whole network timed end to end, the data the network overhead term is fitted on.
public struct NetworkSample: Codable, Sendable {
  public var architecture: Architecture
  public var milliseconds: Double

  public init(architecture: Architecture, milliseconds: Double) {
    self.architecture = architecture
    self.milliseconds = milliseconds
  }
}
