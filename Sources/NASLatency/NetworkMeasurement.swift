import Foundation
import NASArch

/// An end-to-end timing of a whole architecture.
public struct NetworkMeasurement: Codable, Sendable {
  public var name: String?
  public var hash: String
  public var macs: Int
  public var params: Int
  public var threads: Int
  public var warmup: Int
  /// Timing of single runs, in microseconds.
  public var timing: TimingSummary
  /// Median run time in milliseconds.
  public var milliseconds: Double { timing.median / 1000 }
  /// Seconds spent building the XNNPACK runtime (weights packed).
  public var buildSeconds: Double
}

/// Measures whole networks end to end.
public enum NetworkTimer {
  /// Builds `architecture` with random folded weights and times it.
  ///
  /// The runs are split into `rounds` blocks; the reported median is over every run, so a
  /// burst of load during one block moves it little.
  public static func measure(
    _ architecture: Architecture, threads: Int = 1, warmup: Int = 10, runs: Int = 100, seed: UInt64 = 1
  ) throws(LatencyError) -> NetworkMeasurement {
    guard runs >= 1, warmup >= 0 else { throw .invalidArgument("--runs must be at least 1 and --warmup at least 0") }
    let costs: CostSummary
    do { costs = try architecture.costs() } catch { throw LatencyError(error) }
    let start = Date()
    let network = try XNNPACKNetwork(architecture: architecture, seed: seed, threads: threads)
    let built = Date().timeIntervalSince(start)
    let timing = try network.time(warmup: warmup, runs: runs)
    return NetworkMeasurement(
      name: architecture.name, hash: architecture.canonicalHash, macs: costs.macs, params: costs.params, threads: threads,
      warmup: warmup, timing: timing, buildSeconds: built)
  }
}
