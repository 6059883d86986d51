import Foundation
import NASArch

/// Networks whose latency was recorded when the tables were measured, timed again beside the
/// networks of a validation so that a change in the machine's speed since then can be told
/// apart from the predictor's error.
///
/// On a shared VM the whole machine runs faster or slower by 10-30% over minutes (other
/// tenants of the host; see docs/latency.md): a validation a few minutes after `nas bench` then
/// measures every network slower or faster by the same factor, a shift no predictor fitted on
/// the earlier timings can know of. The references are timed in the same interleaved rounds as
/// the networks they correct, and the median of their now/then ratios is that factor. "Then"
/// must be what one pass measured (``LatencyDatabase/driftReferenceCandidates()``), since "now"
/// is one pass: the fastest of several passes is lower at the same speed, and would bias the
/// factor above 1.
public struct DriftReferences: Sendable {
  public var networks: [NetworkSample]

  public init(networks: [NetworkSample]) { self.networks = networks }

  /// `count` of `recorded` spread evenly over their latencies (smallest and largest included),
  /// so the factor is not that of one network size only.
  public static func choose(from recorded: [NetworkSample], count: Int) -> DriftReferences {
    let sorted = recorded.sorted { ($0.milliseconds, $0.architecture.canonicalHash) < ($1.milliseconds, $1.architecture.canonicalHash) }
    guard count > 0, !sorted.isEmpty else { return DriftReferences(networks: []) }
    guard sorted.count > count else { return DriftReferences(networks: sorted) }
    let picks = (0..<count).map { i in count == 1 ? sorted.count / 2 : Int((Double(i) * Double(sorted.count - 1) / Double(count - 1)).rounded()) }
    return DriftReferences(networks: picks.map { sorted[$0] })
  }

  /// How much slower the machine is now than when the references were recorded: the median of
  /// `now[i] / recorded[i]` (1 when there are no references). `now` is in milliseconds.
  public func ratio(now: [Double]) -> Double {
    let ratios = zip(now, networks).compactMap { now, then in then.milliseconds > 0 && now > 0 ? now / then.milliseconds : nil }
    return ratios.isEmpty ? 1 : TimingSummary.median(ratios)
  }
}
