import Foundation
import NASArch
import NASSupport

/// Predicted against measured latency over a set of networks.
public struct ValidationResult: Codable, Sendable {
  public struct Row: Codable, Sendable {
    public var name: String
    public var hash: String
    public var predicted: Double
    public var measured: Double
    /// (predicted − measured) / measured, in percent.
    public var errorPercent: Double
  }

  public var count: Int
  public var rmse: Double
  public var mape: Double
  public var within5: Double
  public var within10: Double
  public var rows: [Row]

  public init(rows: [Row]) {
    self.rows = rows
    count = rows.count
    let n = Double(max(1, rows.count))
    rmse = (rows.reduce(0) { $0 + ($1.predicted - $1.measured) * ($1.predicted - $1.measured) } / n).squareRoot()
    mape = rows.reduce(0) { $0 + abs($1.errorPercent) } / n
    within5 = Double(rows.filter { abs($0.errorPercent) <= 5 }.count) / n
    within10 = Double(rows.filter { abs($0.errorPercent) <= 10 }.count) / n
  }
}

/// Measures networks end to end and compares them with a predictor.
public struct LatencyValidator {
  public var threads: Int
  public var policy: NetworkTimingPolicy
  /// Networks timed in interleaved rounds together (and recorded together).
  public var chunkSize: Int

  public init(threads: Int = 1, policy: NetworkTimingPolicy = .standard, chunkSize: Int = 50) {
    self.threads = threads
    self.policy = policy
    self.chunkSize = chunkSize
  }

  /// Predicts and measures each network; `record` receives each measurement as its chunk is
  /// done. `shouldStop` is polled between chunks.
  public func validate(
    _ architectures: [Architecture], predictor: LatencyPredictor, progress: ProgressReporter? = nil,
    shouldStop: () -> Bool = { false }, record: (Architecture, TimingSummary, Double) throws -> Void = { _, _, _ in }
  ) throws -> ValidationResult {
    let predictions = try architectures.map { a throws(LatencyError) in try predictor.milliseconds(a) }
    var rows: [ValidationResult.Row] = []
    _ = try NetworkTimer.measureAll(
      architectures, threads: threads, policy: policy, chunkSize: chunkSize, shouldStop: shouldStop,
      record: { measured in
        for (arch, timing) in measured {
          let predicted = predictions[rows.count]
          let ms = timing.latency / 1000
          try record(arch, timing, predicted)
          rows.append(
            ValidationResult.Row(
              name: arch.name ?? arch.shortHash, hash: arch.canonicalHash, predicted: predicted, measured: ms,
              errorPercent: 100 * (predicted - ms) / ms))
        }
        let partial = ValidationResult(rows: rows)
        progress?.advance(by: measured.count, note: String(format: "within 10%%: %.0f%%  MAPE %.1f%%", 100 * partial.within10, partial.mape))
      })
    return ValidationResult(rows: rows)
  }
}
