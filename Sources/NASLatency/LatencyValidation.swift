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
  /// Timed runs per block; four blocks per measurement.
  public var runsPerBlock: Int
  /// Block medians further apart than this (max/min − 1) trigger a fresh measurement.
  public var blockSpread: Double
  public var maxRemeasure: Int

  public init(threads: Int = 1, runsPerBlock: Int = 8, blockSpread: Double = 0.03, maxRemeasure: Int = 2) {
    self.threads = threads
    self.runsPerBlock = runsPerBlock
    self.blockSpread = blockSpread
    self.maxRemeasure = maxRemeasure
  }

  /// One network's latency: blocks of runs; when the blocks disagree (the machine was busy),
  /// the network is rebuilt and measured again. The result is the median of all block medians.
  public func measure(_ arch: Architecture, seed: UInt64 = 1) throws(LatencyError) -> TimingSummary {
    var blockMedians: [Double] = []
    var all: [Double] = []
    for attempt in 0...maxRemeasure {
      let network = try XNNPACKNetwork(architecture: arch, seed: seed &+ UInt64(attempt), threads: threads)
      var medians: [Double] = []
      for _ in 0..<4 {
        let runs = try network.timeRuns(warmup: 2, runs: runsPerBlock)
        all += runs
        medians.append(TimingSummary.median(runs))
      }
      blockMedians += medians
      if let lo = medians.min(), let hi = medians.max(), lo > 0, hi / lo - 1 <= blockSpread { break }
    }
    var summary = TimingSummary(microseconds: all)
    summary.median = TimingSummary.median(blockMedians)
    return summary
  }

  /// Predicts and measures each network; `record` receives each measurement as it is taken.
  public func validate(
    _ architectures: [Architecture], predictor: LatencyPredictor, progress: ProgressReporter? = nil,
    shouldStop: () -> Bool = { false }, record: (Architecture, TimingSummary, Double) throws -> Void = { _, _, _ in }
  ) throws -> ValidationResult {
    var rows: [ValidationResult.Row] = []
    for arch in architectures {
      if shouldStop() { break }
      let predicted = try predictor.milliseconds(arch)
      let timing = try measure(arch)
      let measured = timing.median / 1000
      try record(arch, timing, predicted)
      rows.append(
        ValidationResult.Row(
          name: arch.name ?? arch.shortHash, hash: arch.canonicalHash, predicted: predicted, measured: measured,
          errorPercent: 100 * (predicted - measured) / measured))
      let partial = ValidationResult(rows: rows)
      progress?.advance(note: String(format: "within 10%%: %.0f%%  MAPE %.1f%%", 100 * partial.within10, partial.mape))
    }
    return ValidationResult(rows: rows)
  }
}
