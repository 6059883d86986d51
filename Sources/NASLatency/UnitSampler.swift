import Foundation
import NASArch
import NASSpace

/// How one microbenchmark sample is taken: a few warm-up runs, then enough timed runs to last
/// about `sampleMicroseconds` (within `minRuns...maxRuns`); the sample is their fastest
/// (``TimingSummary/latencyQuantile``).
public struct SamplingPolicy: Codable, Sendable, Hashable {
  public var warmup: Int
  public var minRuns: Int
  public var maxRuns: Int
  public var sampleMicroseconds: Double

  public init(warmup: Int = 3, minRuns: Int = 5, maxRuns: Int = 200, sampleMicroseconds: Double = 6000) {
    self.warmup = warmup
    self.minRuns = minRuns
    self.maxRuns = maxRuns
    self.sampleMicroseconds = sampleMicroseconds
  }

  /// The defaults `nas bench` uses.
  public static let standard = SamplingPolicy()
}

/// One compiled unit configuration, timed again and again across rounds.
public final class UnitProbe {
  public let configuration: UnitConfiguration
  let network: XNNPACKNetwork
  /// Runs per sample, fixed after the first sample so later rounds cost the same.
  var runsPerSample: Int?

  public init(_ configuration: UnitConfiguration, threads: Int, seed: UInt64 = 1) throws(LatencyError) {
    self.configuration = configuration
    network = try XNNPACKNetwork(unit: configuration.unit, input: configuration.input, seed: seed, threads: threads)
  }

  /// One sample: the fastest of a batch of timed runs (``TimingSummary/latencyQuantile``), in microseconds.
  public func sample(_ policy: SamplingPolicy) throws(LatencyError) -> (microseconds: Double, runs: Int) {
    for _ in 0..<policy.warmup { try network.run() }
    let runs: Int
    if let r = runsPerSample {
      runs = r
    } else {
      let probe = Double(try network.timedRun()) / 1000
      runs = max(policy.minRuns, min(policy.maxRuns, Int(policy.sampleMicroseconds / max(probe, 0.5))))
      runsPerSample = runs
    }
    var times = [Double]()
    times.reserveCapacity(runs)
    for _ in 0..<runs { times.append(Double(try network.timedRun()) / 1000) }
    return (TimingSummary.quantile(times.sorted(), TimingSummary.latencyQuantile), runs)
  }
}
