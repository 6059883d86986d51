import Foundation
import NASArch
import NASSupport

/// Predicted against measured latency over a set of networks.
public struct ValidationResult: Codable, Sendable {
  public struct Row: Codable, Sendable {
    public var name: String
    public var hash: String
    public var predicted: Double
    /// The measured latency: the fastest of the passes (``TimingSummary/latencyQuantile``,
    /// what the tables keep of their samples), in milliseconds.
    public var measured: Double
    /// (predicted − measured) / measured, in percent.
    public var errorPercent: Double
    /// The network's latency in each pass, in milliseconds.
    public var passes: [Double]
    /// The machine's speed factor while each pass's chunk was timed (``DriftReferences``);
    /// empty without references.
    public var driftRatios: [Double]
    /// The fastest over passes of latency / speed factor: the latency at the speed of the
    /// machine when the tables were measured. Nil without references.
    public var correctedMeasured: Double?
    /// (predicted − correctedMeasured) / correctedMeasured, in percent.
    public var correctedErrorPercent: Double?

    enum CodingKeys: String, CodingKey {
      case name, hash, errorPercent, driftRatios, correctedErrorPercent
      case predicted = "predictedMs", measured = "measuredMs", passes = "passesMs", correctedMeasured = "correctedMeasuredMs"
    }
  }

  /// The error figures of one column of errors (in percent).
  public struct Accuracy: Codable, Sendable {
    public var mape: Double
    public var within5: Double
    public var within10: Double
    /// Mean of the signed errors, in percent: the level a whole validation is off by.
    public var meanError: Double

    enum CodingKeys: String, CodingKey {
      case mape = "mapePercent", within5 = "shareWithin_5Percent", within10 = "shareWithin_10Percent", meanError = "meanErrorPercent"
    }

    init(_ errors: [Double]) {
      let n = Double(max(1, errors.count))
      mape = errors.reduce(0) { $0 + abs($1) } / n
      within5 = Double(errors.filter { abs($0) <= 5 }.count) / n
      within10 = Double(errors.filter { abs($0) <= 10 }.count) / n
      meanError = errors.reduce(0, +) / n
    }
  }

  /// The figures against the drift-corrected measurements.
  public struct DriftCorrection: Codable, Sendable {
    /// Reference networks timed with each chunk.
    public var references: Int
    /// One speed factor per chunk, pass by pass.
    public var ratios: [Double]
    public var accuracy: Accuracy
  }

  public var count: Int
  public var passes: Int
  public var rmse: Double
  public var mape: Double
  public var within5: Double
  public var within10: Double
  public var meanError: Double
  public var rows: [Row]
  /// Nil when no references were timed.
  public var driftCorrected: DriftCorrection?

  enum CodingKeys: String, CodingKey {
    case count, passes, driftCorrected
    case rows = "networks"
    case rmse = "rmseMs", mape = "mapePercent", within5 = "shareWithin_5Percent", within10 = "shareWithin_10Percent"
    case meanError = "meanErrorPercent"
  }

  public init(rows: [Row], references: Int = 0, ratios: [Double] = []) {
    self.rows = rows
    count = rows.count
    passes = rows.map(\.passes.count).max() ?? 0
    let n = Double(max(1, rows.count))
    rmse = (rows.reduce(0) { $0 + ($1.predicted - $1.measured) * ($1.predicted - $1.measured) } / n).squareRoot()
    let raw = Accuracy(rows.map(\.errorPercent))
    mape = raw.mape
    within5 = raw.within5
    within10 = raw.within10
    meanError = raw.meanError
    let corrected = rows.compactMap(\.correctedErrorPercent)
    driftCorrected =
      references > 0 && corrected.count == rows.count
      ? DriftCorrection(references: references, ratios: ratios, accuracy: Accuracy(corrected)) : nil
  }

  /// A row from a network's per-pass latencies (ms) and, with references, their chunks' factors.
  static func row(name: String, hash: String, predicted: Double, passes: [Double], ratios: [Double]) -> Row {
    let measured = TimingSummary.quantile(passes.sorted(), TimingSummary.latencyQuantile)
    let corrected =
      ratios.count == passes.count && !ratios.isEmpty
      ? TimingSummary.quantile(zip(passes, ratios).map { $0 / $1 }.sorted(), TimingSummary.latencyQuantile) : nil
    return Row(
      name: name, hash: hash, predicted: predicted, measured: measured, errorPercent: 100 * (predicted - measured) / measured,
      passes: passes, driftRatios: ratios, correctedMeasured: corrected, correctedErrorPercent: corrected.map { 100 * (predicted - $0) / $0 })
  }
}

/// Measures networks end to end and compares them with a predictor.
public struct LatencyValidator {
  public var threads: Int
  public var policy: NetworkTimingPolicy
  /// Networks timed in interleaved rounds together (and recorded together).
  public var chunkSize: Int
  /// Times every network is timed, each pass over all of them minutes after the last, as
  /// `nas bench` times its networks and samples its units (see ``Microbenchmark``).
  public var passes: Int
  /// Timed with every chunk to measure the machine's drift since the tables (none: no correction).
  public var references: DriftReferences

  public init(
    threads: Int = 1, policy: NetworkTimingPolicy = .standard, chunkSize: Int = 50, passes: Int = 1,
    references: DriftReferences = DriftReferences(networks: [])
  ) {
    self.threads = threads
    self.policy = policy
    self.chunkSize = chunkSize
    self.passes = passes
    self.references = references
  }

  /// Predicts each network and measures it in `passes` passes, each in chunks of `chunkSize`
  /// timed in interleaved rounds together with the references; `record` receives every timing
  /// (with its prediction and its chunk's drift factor) as its chunk is done. `shouldStop` is
  /// polled between chunks; the result then has the networks timed at least once.
  public func validate(
    _ architectures: [Architecture], predictor: LatencyPredictor, progress: ProgressReporter? = nil,
    shouldStop: () -> Bool = { false }, record: (Architecture, TimingSummary, Double, Double?) throws -> Void = { _, _, _, _ in }
  ) throws -> ValidationResult {
    let predictions = try architectures.map { a throws(LatencyError) in try predictor.milliseconds(a) }
    let referenceArchitectures = references.networks.map(\.architecture)
    var latencies = [[Double]](repeating: [], count: architectures.count)
    var factors = [[Double]](repeating: [], count: architectures.count)
    var ratios: [Double] = []
    func result() -> ValidationResult {
      let rows = architectures.indices.filter { !latencies[$0].isEmpty }.map { i in
        ValidationResult.row(
          name: architectures[i].name ?? architectures[i].shortHash, hash: architectures[i].canonicalHash, predicted: predictions[i],
          passes: latencies[i], ratios: factors[i])
      }
      return ValidationResult(rows: rows, references: referenceArchitectures.count, ratios: ratios)
    }
    passes: for pass in 0..<max(1, passes) {
      var start = 0
      while start < architectures.count {
        if shouldStop() { break passes }
        let range = start..<min(architectures.count, start + max(1, chunkSize))
        let chunk = Array(architectures[range])
        let timings = try NetworkTimer.measureAll(
          chunk + referenceArchitectures, threads: threads, policy: policy, chunkSize: chunk.count + referenceArchitectures.count,
          seed: 1 &+ UInt64(start) &+ UInt64(pass) &* 7919)
        let ratio: Double? =
          referenceArchitectures.isEmpty ? nil : references.ratio(now: timings[chunk.count...].map { $0.latency / 1000 })
        if let ratio { ratios.append(ratio) }
        for (i, timing) in zip(range, timings) {
          try record(architectures[i], timing, predictions[i], ratio)
          latencies[i].append(timing.latency / 1000)
          if let ratio { factors[i].append(ratio) }
        }
        start = range.upperBound
        let partial = result()
        var note = String(format: "pass %d of %d  within 10%%: %.0f%%  MAPE %.1f%%", pass + 1, max(1, passes), 100 * partial.within10, partial.mape)
        if let c = partial.driftCorrected { note += String(format: "  (drift x%.3f: %.0f%%)", ratio ?? 1, 100 * c.accuracy.within10) }
        progress?.advance(by: chunk.count, note: note)
      }
    }
    return result()
  }
}
