import Foundation
import NASStore
import NASSupport

/// What a NetAdapt run did: its path (one row per iteration), the final network's scores and
/// latencies, and the files written.
public struct NetAdaptSummary: Codable, Sendable {
  public struct Step: Codable, Sendable {
    public var iteration: Int
    public var predictedLatencyMs: Double
    public var accuracy: Double?
    public var cut: String?
    public var proposals: Int
  }

  public var run: Int64
  public var seed: String
  public var seedLatencyMs: Double
  public var targetMs: Double
  public var path: [Step]
  public var interrupted: Bool
  /// Whether the loop stopped at `--max-iterations` before the target.
  public var stoppedAtIterationLimit: Bool
  public var finalPredictedMs: Double?
  public var finalMeasuredMs: Double?
  public var seedMeasuredMs: Double?
  public var finalValidationAccuracy: Double?
  public var finalTestAccuracy: Double?
  public var architectureFile: String?
  public var weightsFile: String?
  /// The run's HTML report (`nas report`), when the command wrote one.
  public var reportFile: String?
  /// A `nas train` command that trains the written network further from its weights
  /// (``FurtherTraining``), when the run wrote one.
  public var furtherTraining: String?

  static func steps(_ rows: [StoredNetAdaptIteration]) -> [Step] {
    rows.map { Step(iteration: $0.iteration, predictedLatencyMs: $0.predictedLatencyMs, accuracy: $0.accuracy, cut: $0.cut, proposals: $0.proposals) }
  }

  /// The path as a table, then the outcome.
  public func text(databasePath: String) -> String {
    var table = TextTable(headers: ["iter", "latency ms", "of seed", "accuracy", "proposals", "cut"], rightAligned: [0, 1, 2, 3, 4])
    for s in path {
      table.append([
        "\(s.iteration)", Format.fixed(s.predictedLatencyMs, 3), Format.fixed(100 * s.predictedLatencyMs / max(seedLatencyMs, 1e-12), 1) + "%",
        s.accuracy.map { Format.fixed($0 * 100, 2) + "%" } ?? "-", s.iteration == 0 ? "-" : "\(s.proposals)", s.cut ?? "(seed)",
      ])
    }
    var lines = [
      "nas netadapt run \(run): \(seed), predicted \(Format.fixed(seedLatencyMs, 3)) ms → target \(Format.fixed(targetMs, 3)) ms",
      table.render(),
    ]
    if interrupted {
      lines.append("interrupted: continue with the same command and --resume (state is in \(databasePath))")
    } else if stoppedAtIterationLimit {
      lines.append("stopped at --max-iterations before the target; the last network was still fine-tuned and written")
    }
    if let p = finalPredictedMs {
      var l = "final: predicted \(Format.fixed(p, 3)) ms"
      if let m = finalMeasuredMs { l += ", measured \(Format.fixed(m, 3)) ms (\(Format.fixed(100 * (m - p) / p, 1))% off the prediction)" }
      if let s = seedMeasuredMs { l += "; seed measured \(Format.fixed(s, 3)) ms" }
      lines.append(l)
    }
    if let v = finalValidationAccuracy {
      lines.append("final accuracy after the long fine-tune: validation \(Format.fixed(v * 100, 2))%" + (finalTestAccuracy.map { ", test \(Format.fixed($0 * 100, 2))%" } ?? ""))
    }
    if let a = architectureFile { lines.append("architecture: \(a)") }
    if let w = weightsFile { lines.append("weights: \(w)") }
    if let c = furtherTraining { lines.append("train it further from these weights (docs/netadapt.md): \(c)") }
    if let r = reportFile { lines.append("report: \(r)") }
    let shell = ResultsStore.isServerURL(databasePath) ? "nas db sql --db" : "sqlite3"
    lines.append("every proposal: \(shell) \(databasePath) \"SELECT * FROM netadapt_proposals WHERE run_id = \(run)\"")
    return lines.joined(separator: "\n")
  }
}
