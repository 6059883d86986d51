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

/// One microbenchmark sample: the median of `runs` timed runs of one unit configuration.
public struct LatencySample: Codable, Sendable, Hashable {
  public var configuration: UnitConfiguration
  public var source: SampleSource
  public var microseconds: Double
  public var runs: Int
  public var round: Int?

  public init(configuration: UnitConfiguration, source: SampleSource, microseconds: Double, runs: Int, round: Int? = nil) {
    self.configuration = configuration
    self.source = source
    self.microseconds = microseconds
    self.runs = runs
    self.round = round
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
