import NASArch
import NASSpace
import NASStore

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
