import Foundation
import NASArch
import NASSupport

/// What `nas latency predict` reports: an architecture's predicted latency with its per-unit
/// breakdown.
public struct LatencyPredictionReport: Encodable, Sendable {
  public var file: String
  public var profile: DeviceProfile
  public var prediction: LatencyPrediction

  public init(file: String, profile: DeviceProfile, prediction: LatencyPrediction) {
    self.file = file
    self.profile = profile
    self.prediction = prediction
  }

  enum CodingKeys: String, CodingKey { case file, profile }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(file, forKey: .file)
    try c.encode(profile.id, forKey: .profile)
    try prediction.encode(to: encoder)
  }

  public var text: String {
    let p = prediction
    var t = TextTable(headers: ["unit", "configuration", "us", "from"], rightAligned: [0, 2])
    for u in p.units { t.append([String(u.index), u.unit, Format.fixed(u.microseconds, 1), u.source.rawValue]) }
    return t.render()
      + "\n\n\(file): predicted \(Format.fixed(p.milliseconds, 3)) ms on \(profile.id) (\(profile.summary))"
      + "\nunits \(Format.fixed(p.unitsMilliseconds, 3)) ms (\(p.measuredUnits) of \(p.units.count) measured, the rest from the fitted model)"
      + " + network overhead \(Format.fixed(p.overheadMilliseconds, 3)) ms"
  }
}

/// What `nas latency measure` reports: a network timed end to end, and with `--per-unit`
/// every unit timed on its own.
public struct NetworkMeasurementReport: Encodable, Sendable {
  public var file: String
  public var measurement: NetworkMeasurement
  public var units: [UnitTiming]?

  public init(file: String, measurement: NetworkMeasurement, units: [UnitTiming]? = nil) {
    self.file = file
    self.measurement = measurement
    self.units = units
  }

  public var unitsMilliseconds: Double? { units.map { $0.reduce(0) { $0 + $1.microseconds } / 1000 } }

  private struct Fields: Encodable {
    var file: String
    var name: String?
    var hash: String
    var macs: Int
    var params: Int
    var threads: Int
    var runs: Int
    var latencyMs: Double
    var p10Ms: Double
    var p90Ms: Double
    var madMs: Double
    var minimumMs: Double
    var medianMs: Double
    var buildSeconds: Double
    var units: [UnitTiming]?
    var unitsMs: Double?
  }

  public func encode(to encoder: any Encoder) throws {
    let m = measurement
    try Fields(
      file: file, name: m.name, hash: m.hash, macs: m.macs, params: m.params, threads: m.threads, runs: m.timing.runs,
      latencyMs: m.milliseconds, p10Ms: m.timing.p10 / 1000, p90Ms: m.timing.p90 / 1000, madMs: m.timing.mad / 1000,
      minimumMs: m.timing.minimum / 1000, medianMs: m.timing.median / 1000, buildSeconds: m.buildSeconds, units: units,
      unitsMs: unitsMilliseconds
    ).encode(to: encoder)
  }

  public var text: String {
    let m = measurement
    var lines: [String] = []
    if let units, let sum = unitsMilliseconds {
      lines += units.map { String(format: "%3d %10.1f us  %@", $0.index, $0.microseconds, $0.key) }
      lines.append(String(format: "sum of units %.3f ms, network %.3f ms, ratio %.3f", sum, m.milliseconds, m.milliseconds / sum))
    }
    lines.append("\(file): \(m.name ?? m.hash.prefix(12).description)  \(Format.si(Double(m.macs))) MACs  \(Format.grouped(m.params)) params")
    lines.append(
      "latency \(Format.fixed(m.milliseconds, 3)) ms (fastest of \(m.timing.runs) runs in \(m.policy.rounds) rounds; median \(Format.fixed(m.timing.median / 1000, 3)), "
        + "p10 \(Format.fixed(m.timing.p10 / 1000, 3)), p90 \(Format.fixed(m.timing.p90 / 1000, 3)), "
        + "MAD \(Format.fixed(m.timing.mad / 1000, 3)) ms) on \(m.threads) thread\(m.threads == 1 ? "" : "s")")
    return lines.joined(separator: "\n")
  }
}

/// How many architectures per second the predictor prices: what search and NetAdapt pay per
/// candidate (`nas latency throughput`).
public struct PredictorThroughput: Encodable, Sendable {
  public var space: String
  public var architectures: Int
  public var predictions: Int
  public var seconds: Double
  public var architecturesPerSecond: Double
  public var usEach: Double
  public var shrunk: Bool
  /// The mean prediction, which also keeps the predictions from being optimised away.
  public var meanPredictedMs: Double

  /// Predicts every architecture `passes` times.
  public static func measure(
    _ predictor: LatencyPredictor, architectures: [Architecture], passes: Int, space: String, shrunk: Bool
  ) throws -> PredictorThroughput {
    var sum = 0.0
    let start = Date()
    for _ in 0..<passes {
      for a in architectures { sum += try predictor.milliseconds(a) }
    }
    let seconds = Date().timeIntervalSince(start)
    let n = architectures.count * passes
    return PredictorThroughput(
      space: space, architectures: architectures.count, predictions: n, seconds: seconds, architecturesPerSecond: Double(n) / seconds,
      usEach: seconds * 1e6 / Double(n), shrunk: shrunk, meanPredictedMs: sum / Double(n))
  }

  public var text: String {
    "\(space)\(shrunk ? " (shrunk)" : ""): \(predictions) predictions in \(Format.fixed(seconds, 3)) s: "
      + "\(architecturesPerSecond.isFinite ? Format.grouped(Int(architecturesPerSecond)) : "too many to time") architectures/s, "
      + "\(Format.fixed(usEach, 1)) us each (mean \(Format.fixed(meanPredictedMs, 3)) ms)"
  }
}
