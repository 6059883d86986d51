import Foundation
import NASArch

/// A quick check, before a search or NetAdapt predicts from stored tables, that this machine
/// still runs at the speed the tables were measured at.
///
/// A profile names a kind of machine, not a host, and a shared host's speed drifts by 10-30%
/// over hours (docs/latency.md, "What limits the accuracy here"): predictions then sit off by
/// that factor for the whole run, and a latency target means something else. A few of the
/// profile's fit networks (timed by every `nas bench` pass) are timed again the way a pass
/// times them, and the median now/then ratio is compared with ``tolerance``. The networks
/// come from the faster half so the check takes a second or two.
public struct SpeedCheck: Sendable, Equatable {
  /// More than this relative difference in speed gets a warning.
  public static let tolerance = 0.10
  /// Networks timed by the check.
  public static let networkCount = 3

  public var profileID: String
  /// Latencies now and as stored (one `nas bench` pass's value), in milliseconds, per network.
  public var nowMilliseconds: [Double]
  public var thenMilliseconds: [Double]

  public init(profileID: String, nowMilliseconds: [Double], thenMilliseconds: [Double]) {
    self.profileID = profileID
    self.nowMilliseconds = nowMilliseconds
    self.thenMilliseconds = thenMilliseconds
  }

  /// How much slower the machine is now: the median of now/then over the networks (1 without any).
  public var ratio: Double {
    let ratios = zip(nowMilliseconds, thenMilliseconds).compactMap { now, then in now > 0 && then > 0 ? now / then : nil }
    return ratios.isEmpty ? 1 : TimingSummary.median(ratios)
  }

  /// Whether the speed differs by more than ``tolerance``.
  public var isOff: Bool { abs(ratio - 1) > Self.tolerance }

  /// One line for the run's log: how far off, and what to do; nil within the tolerance.
  public var warning: String? {
    guard isOff else { return nil }
    let r = ratio
    let change = String(format: "%.0f%% %@", abs(r - 1) * 100, r > 1 ? "slower" : "faster")
    let pairs = zip(nowMilliseconds, thenMilliseconds).map { String(format: "%.3g ms now against %.3g ms", $0, $1) }
    return "warning: this machine runs \(change) than when the latency tables of profile \(profileID) were measured: its networks "
      + "take \(String(format: "%.2f", r))× as long (\(nowMilliseconds.count) fit networks: \(pairs.joined(separator: "; "))). "
      + "Predictions will be off by that factor (measured ≈ \(String(format: "%.2f", r)) × predicted); run 'nas bench' to measure "
      + "the tables again on this machine, or expect that factor"
  }

  /// Up to `count` networks spread over the faster half of `candidates` by latency.
  public static func choose(from candidates: [NetworkSample], count: Int = networkCount) -> [NetworkSample] {
    let sorted = candidates.sorted { ($0.milliseconds, $0.architecture.canonicalHash) < ($1.milliseconds, $1.architecture.canonicalHash) }
    let faster = Array(sorted.prefix(max(count, (sorted.count + 1) / 2)))
    return DriftReferences.choose(from: faster, count: count).networks
  }

  /// Times `networks` now with `measure` (milliseconds per network, in order) and compares
  /// them with their stored values; nil when there is nothing to compare.
  public static func run(
    profileID: String, networks: [NetworkSample], measure: ([Architecture]) throws -> [Double]
  ) throws -> SpeedCheck? {
    guard !networks.isEmpty else { return nil }
    let now = try measure(networks.map(\.architecture))
    return SpeedCheck(profileID: profileID, nowMilliseconds: now, thenMilliseconds: networks.map(\.milliseconds))
  }

  /// Times architectures as one `nas bench` pass times its fit networks (interleaved rounds, the fastest run).
  public static func timeLikeABenchPass(threads: Int) -> ([Architecture]) throws -> [Double] {
    { archs in
      try NetworkTimer.measureAll(archs, threads: threads, policy: .standard, chunkSize: archs.count).map { $0.latency / 1000 }
    }
  }
}
