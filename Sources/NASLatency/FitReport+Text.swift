import Foundation
import NASSupport

extension FitReport {
  /// The text `nas latency fit`, `nas bench` and `nas latency import` print.
  public var text: String {
    var out = "fitted on \(samples) samples of \(configurations) configurations (profile \(profile)) in \(Format.fixed(seconds, 2)) s\n"
    var t = TextTable(headers: ["model", "held-out", "MAPE %", "mean error %", "within 10%", ""], rightAligned: [1, 2, 3, 4])
    for c in comparisons {
      t.append([
        c.kind.rawValue, String(c.heldOut), Format.fixed(c.mape, 2), Format.fixed(c.meanError, 2), Format.fixed(100 * c.within10, 1) + "%",
        c.kind == chosen ? "chosen" : "",
      ])
    }
    out += "unit models on \(heldOutSet) (fitted without them):\n" + t.render() + "\n"
    out += String(
      format: "network overhead: measured = %.4f x sum of units + %.1f us (from %d networks)", 1 + overhead.proportional, overhead.intercept,
      overhead.networks)
    if !networks.isEmpty {
      let errors = networks.map { abs($0.predicted - $0.measured) / $0.measured }
      out += String(format: "; on them MAPE %.2f%%, worst %.1f%%", 100 * errors.reduce(0, +) / Double(errors.count), 100 * (errors.max() ?? 0))
    }
    return out
  }
}
