import Foundation
import NASArch

/// An end-to-end timing of a whole architecture.
public struct NetworkMeasurement: Codable, Sendable {
  public var name: String?
  public var hash: String
  public var macs: Int
  public var params: Int
  public var threads: Int
  public var policy: NetworkTimingPolicy
  /// Every timed run; `latency` is the policy's quantile of them (``NetworkTimingPolicy``).
  public var timing: TimingSummary
  /// The latency in milliseconds.
  public var milliseconds: Double { timing.latency / 1000 }
  /// Seconds spent building the XNNPACK runtime (weights packed).
  public var buildSeconds: Double
}

/// Measures whole networks end to end, by ``NetworkTimingPolicy``.
public enum NetworkTimer {
  /// Builds `architecture` with random folded weights and times it.
  public static func measure(
    _ architecture: Architecture, threads: Int = 1, policy: NetworkTimingPolicy = .standard, seed: UInt64 = 1
  ) throws(LatencyError) -> NetworkMeasurement {
    let costs: CostSummary
    do { costs = try architecture.costs() } catch { throw LatencyError(error) }
    let start = Date()
    let network = try XNNPACKNetwork(architecture: architecture, seed: seed, threads: threads)
    let built = Date().timeIntervalSince(start)
    let timing = try measureInterleaved([network], policy: policy, seed: seed)[0]
    return NetworkMeasurement(
      name: architecture.name, hash: architecture.canonicalHash, macs: costs.macs, params: costs.params, threads: threads,
      policy: policy, timing: timing, buildSeconds: built)
  }

  /// Builds and times `architectures` in chunks of `chunkSize` interleaved networks, handing
  /// each chunk's timings to `record` as soon as it is measured (so an interrupted run keeps
  /// them). `shouldStop` is polled between chunks; returns the timings taken.
  public static func measureAll(
    _ architectures: [Architecture], threads: Int = 1, policy: NetworkTimingPolicy = .standard, chunkSize: Int = 20, seed: UInt64 = 1,
    shouldStop: () -> Bool = { false }, record: ([(Architecture, TimingSummary)]) throws -> Void = { _ in }
  ) throws -> [TimingSummary] {
    var timings: [TimingSummary] = []
    var index = 0
    while index < architectures.count, !shouldStop() {
      let chunk = Array(architectures[index..<min(architectures.count, index + max(1, chunkSize))])
      var networks: [XNNPACKNetwork] = []
      for arch in chunk { networks.append(try XNNPACKNetwork(architecture: arch, seed: seed, threads: threads)) }
      let measured = try measureInterleaved(networks, policy: policy, seed: seed &+ UInt64(index))
      try record(Array(zip(chunk, measured)))
      timings += measured
      index += chunk.count
    }
    return timings
  }
}

/// One unit of a network timed on its own, next to its share of the network.
public struct UnitTiming: Codable, Sendable {
  public var index: Int
  public var key: String
  public var microseconds: Double

  enum CodingKeys: String, CodingKey {
    case index, key
    case microseconds = "latencyUs"
  }
}

extension NetworkTimer {
  /// Times every unit of `architecture` on its own (each built as a one-unit network), taking
  /// `rounds` samples in turn and keeping what the unit tables keep
  /// (``TimingSummary/latencyQuantile``), so the sum compares with the network as a prediction does.
  public static func measureUnits(
    _ architecture: Architecture, threads: Int = 1, rounds: Int = 4, policy: SamplingPolicy = .standard
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
      UnitTiming(index: i, key: UnitKey.text(probe.configuration), microseconds: TimingSummary.quantile(samples[i].sorted(), TimingSummary.latencyQuantile))
    }
  }
}
