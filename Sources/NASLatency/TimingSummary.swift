/// Robust statistics of repeated timings, in microseconds.
public struct TimingSummary: Codable, Sendable, Hashable {
  public var runs: Int
  /// The latency these runs stand for: their median, unless the measuring method says
  /// otherwise (``NetworkTimingPolicy`` takes the fastest run, ``latencyQuantile``).
  public var latency: Double
  public var median: Double
  public var minimum: Double
  /// 10th and 90th percentiles.
  public var p10: Double
  public var p90: Double
  /// Median absolute deviation from the median.
  public var mad: Double

  public init(microseconds samples: [Double]) {
    let sorted = samples.sorted()
    runs = sorted.count
    median = Self.quantile(sorted, 0.5)
    latency = median
    minimum = sorted.first ?? 0
    p10 = Self.quantile(sorted, 0.1)
    p90 = Self.quantile(sorted, 0.9)
    let m = median
    mad = Self.quantile(sorted.map { abs($0 - m) }.sorted(), 0.5)
  }

  /// Linear-interpolated quantile of sorted values (0 when empty).
  public static func quantile(_ sorted: [Double], _ q: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    let pos = q * Double(sorted.count - 1)
    let lo = Int(pos.rounded(.down)), hi = min(sorted.count - 1, lo + 1)
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - Double(lo))
  }

  /// The quantile of repeated timings that stands for a latency: 0, the fastest run. On the
  /// shared hosts this runs on, other tenants on the core's sibling hyperthread slow SIMD code
  /// by up to 30% in bursts of milliseconds, and the share of slowed runs drifts over minutes;
  /// the fastest run is the core's own speed, the state that repeats best (docs/latency.md,
  /// "How a network is timed"). Unit samples, network timings, a unit's table value and a
  /// validated network's passes all keep it, so prediction and measurement mean the same.
  public static let latencyQuantile = 0.0

  /// The median of unsorted values.
  public static func median(_ values: [Double]) -> Double { quantile(values.sorted(), 0.5) }

  /// Relative spread (p90 − p10) / median.
  public var relativeSpread: Double { median > 0 ? (p90 - p10) / median : 0 }
}
