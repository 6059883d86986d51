import Foundation
import NASArch
import NASStore
import NASSpace

/// How well each model form predicts configurations it was not fitted on.
public struct ModelComparison: Codable, Sendable {
  public var kind: UnitLatencyModel.Kind
  /// Held-out configurations (off-grid ones when there are enough, otherwise every fifth).
  public var heldOut: Int
  public var mape: Double
  /// Mean signed error in percent: below zero, the form predicts too fast on average.
  public var meanError: Double
  /// The share of held-out configurations predicted within 10%, a fraction.
  public var within10: Double

  enum CodingKeys: String, CodingKey {
    case kind, heldOut
    case mape = "mapePercent", meanError = "meanErrorPercent", within10 = "shareWithin_10Percent"
  }
}

/// What fitting did.
public struct FitReport: Encodable, Sendable {
  public var profile: String
  public var samples: Int
  public var configurations: Int
  public var heldOutSet: String
  public var comparisons: [ModelComparison]
  public var chosen: UnitLatencyModel.Kind
  public var overhead: NetworkOverhead
  /// Per fit network: measured and predicted milliseconds.
  public var networks: [NetworkFit]
  public var seconds: Double

  public struct NetworkFit: Codable, Sendable {
    public var name: String
    public var measured: Double
    public var predicted: Double

    enum CodingKeys: String, CodingKey {
      case name
      case measured = "measuredMs", predicted = "predictedMs"
    }
  }

  enum CodingKeys: String, CodingKey { case profile, samples, configurations, heldOutSet, comparisons, chosen, overhead, networks, seconds }

  /// The overhead term as `--json` shows it (the stored predictor keeps ``NetworkOverhead``'s own keys).
  struct OverheadTerm: Encodable {
    var proportional: Double
    var interceptUs: Double
    var networks: Int
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(profile, forKey: .profile)
    try c.encode(samples, forKey: .samples)
    try c.encode(configurations, forKey: .configurations)
    try c.encode(heldOutSet, forKey: .heldOutSet)
    try c.encode(comparisons, forKey: .comparisons)
    try c.encode(chosen, forKey: .chosen)
    try c.encode(OverheadTerm(proportional: overhead.proportional, interceptUs: overhead.intercept, networks: overhead.networks), forKey: .overhead)
    try c.encode(networks, forKey: .networks)
    try c.encode(seconds, forKey: .seconds)
  }
}

extension LatencyPredictor {
  /// Aggregates samples to one value per configuration: the fastest of its samples, as a
  /// network's latency is the fastest of its runs (``TimingSummary/latencyQuantile``).
  public static func tableValues(_ samples: [LatencySample]) -> [UnitConfiguration: (microseconds: Double, source: SampleSource)] {
    var grouped: [UnitConfiguration: [Double]] = [:]
    var sources: [UnitConfiguration: SampleSource] = [:]
    for s in samples where s.microseconds.isFinite && s.microseconds > 0 {
      grouped[s.configuration, default: []].append(s.microseconds)
      if sources[s.configuration] == nil || s.source == .offgrid { sources[s.configuration] = s.source }
    }
    return grouped.mapValues { TimingSummary.quantile($0.sorted(), TimingSummary.latencyQuantile) }.reduce(into: [:]) { $0[$1.key] = ($1.value, sources[$1.key] ?? .grid) }
  }

  /// Fits a predictor: the table from every sample, the unit model (the form with the lowest
  /// held-out error unless `kind` is given), and the overhead term from whole networks.
  public static func fit(
    profile: DeviceProfile, samples: [LatencySample], networks: [NetworkSample], kind: UnitLatencyModel.Kind? = nil
  ) throws(LatencyError) -> (LatencyPredictor, FitReport) {
    let start = Date()
    let values = Self.tableValues(samples)
    guard !values.isEmpty else { throw .emptyTable(profile: profile.id) }
    var points: [TrainingPoint] = []
    var offgrid: [Int] = []
    for (c, m) in values.sorted(by: { UnitKey.text($0.key) < UnitKey.text($1.key) }) {
      guard let f = try? UnitFeatures(c) else { continue }
      if m.source == .offgrid { offgrid.append(points.count) }
      points.append(TrainingPoint(configuration: c, features: f, microseconds: m.microseconds))
    }
    // Hold out the off-grid configurations when there are enough of them: that is what the
    // model is for. Otherwise every fifth configuration.
    let heldOutSet: String
    var heldOut: Set<Int>
    if offgrid.count >= 20 {
      heldOut = Set(offgrid)
      heldOutSet = "off-grid configurations"
    } else {
      heldOut = Set(stride(from: 0, to: points.count, by: 5))
      heldOutSet = "every fifth configuration"
    }
    let train = points.indices.filter { !heldOut.contains($0) }.map { points[$0] }
    var comparisons: [ModelComparison] = []
    if !train.isEmpty && !heldOut.isEmpty {
      for k in UnitLatencyModel.Kind.allCases {
        let m = UnitLatencyModel.fit(train, kind: k)
        var errors: [Double] = []
        for i in heldOut.sorted() {
          let p = points[i]
          guard let v = m.predict(p.configuration, features: p.features) else { continue }
          errors.append((v - p.microseconds) / p.microseconds)
        }
        guard !errors.isEmpty else { continue }
        let n = Double(errors.count)
        comparisons.append(
          ModelComparison(
            kind: k, heldOut: errors.count, mape: 100 * errors.reduce(0) { $0 + abs($1) } / n, meanError: 100 * errors.reduce(0, +) / n,
            within10: Double(errors.filter { abs($0) <= 0.10 }.count) / n))
      }
    }
    let chosen = kind ?? comparisons.min(by: { $0.mape < $1.mape })?.kind ?? .local
    let model = UnitLatencyModel.fit(points, kind: chosen)
    let table = values.mapValues(\.microseconds)
    var predictor = LatencyPredictor(profile: profile, table: table, model: model, overhead: NetworkOverhead(), sampleCount: samples.count)
    // The overhead term: measured whole networks against the sum of their unit estimates.
    var sums: [Double] = [], measured: [Double] = [], names: [String] = []
    for n in networks {
      guard let p = try? predictor.predict(n.architecture) else { continue }
      sums.append(p.unitsMilliseconds * 1000)
      measured.append(n.milliseconds * 1000)
      names.append(n.architecture.name ?? n.architecture.shortHash)
    }
    let overhead = NetworkOverhead.fit(sums: sums, measured: measured)
    predictor = LatencyPredictor(profile: profile, table: table, model: model, overhead: overhead, sampleCount: samples.count)
    let fits = names.indices.map { FitReport.NetworkFit(name: names[$0], measured: measured[$0] / 1000, predicted: overhead.apply(sums[$0]) / 1000) }
    let report = FitReport(
      profile: profile.id, samples: samples.count, configurations: points.count, heldOutSet: heldOutSet, comparisons: comparisons,
      chosen: chosen, overhead: overhead, networks: fits, seconds: Date().timeIntervalSince(start))
    return (predictor, report)
  }
}
