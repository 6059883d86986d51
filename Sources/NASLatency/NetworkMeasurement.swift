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

/// One unit of a network timed on its own, next to its share of the network.
public struct UnitTiming: Codable, Sendable {
  public var index: Int
  public var key: String
  public var microseconds: Double
}

extension NetworkTimer {
  /// Times every unit of `architecture` on its own (each built as a one-unit network), taking
  /// `rounds` samples in turn and keeping each unit's median.
  public static func measureUnits(
    _ architecture: Architecture, threads: Int = 1, rounds: Int = 3, policy: SamplingPolicy = .standard
  ) throws(LatencyError) -> [UnitTiming] {
    let placed: [PlacedUnit]
    do { placed = try architecture.placedUnits() } catch { throw LatencyError(error) }
    var probes: [UnitProbe] = []
    for p in placed { probes.append(try UnitProbe(UnitKey.normalized(p.unit, input: p.input), threads: threads)) }
    var samples = [[Double]](repeating: [], count: probes.count)
    for _ in 0..<max(1, rounds) {
      for (i, probe) in probes.enumerated() { samples[i].append(try probe.sample(policy).microseconds) }
    }
    return probes.enumerated().map { i, probe in
      UnitTiming(index: i, key: UnitKey.text(probe.configuration), microseconds: TimingSummary.median(samples[i]))
    }
  }
}
