import Foundation
import NASArch
import NASSpace

/// A measured configuration as the model sees it: features and the median latency.
public struct TrainingPoint: Sendable {
  public var configuration: UnitConfiguration
  public var features: UnitFeatures
  public var microseconds: Double

  public init(configuration: UnitConfiguration, features: UnitFeatures, microseconds: Double) {
    self.configuration = configuration
    self.features = features
    self.microseconds = microseconds
  }
}

/// The fitted model for configurations that were not measured, one per unit op.
///
/// Three forms, compared by held-out error in `nas latency fit` (docs/latency.md says which
/// wins and why):
/// - `macs`: latency = a + b·MACs per op.
/// - `features`: a non-negative combination of the node-level features of ``UnitFeatures``
///   per op, fitted for relative error.
/// - `local`: `features`, then corrected by the error it makes on measured configurations of
///   the same structure (same op, kernel, stride, activations, SE, residual and resolution;
///   other channel counts), weighted by closeness in MACs.
public struct UnitLatencyModel: Codable, Sendable {
  public enum Kind: String, Codable, Sendable, CaseIterable {
    case macs, features, local
  }

  /// One measured neighbour: log MACs and log(measured / fitted).
  struct Neighbour: Codable, Sendable {
    var logMACs: Double
    var logRatio: Double
  }

  public var kind: Kind
  /// Coefficients per op (raw value), over ``UnitFeatures/values`` (or [1, MACs] for `macs`).
  var coefficients: [String: [Double]]
  var neighbours: [UnitStructure: [Neighbour]]
  /// Width of the neighbour weighting in log MACs.
  var bandwidth: Double
  /// Weight of "no correction" against the neighbours (shrinks corrections from few or far ones).
  var priorWeight: Double

  func inputs(_ f: UnitFeatures) -> [Double] {
    kind == .macs ? [1, f.macs] : f.values
  }

  /// Fits a model of `kind` to `points`.
  public static func fit(_ points: [TrainingPoint], kind: Kind, bandwidth: Double = 0.35, priorWeight: Double = 0.25) -> UnitLatencyModel {
    var model = UnitLatencyModel(kind: kind, coefficients: [:], neighbours: [:], bandwidth: bandwidth, priorWeight: priorWeight)
    let byOp = Dictionary(grouping: points, by: { $0.configuration.unit.op })
    for (op, group) in byOp {
      let rows = group.map { model.inputs($0.features) }
      let targets = group.map(\.microseconds)
      // Relative error: weight each squared residual by 1/y².
      let weights = targets.map { 1 / max($0 * $0, 1e-6) }
      model.coefficients[op.rawValue] = NonNegativeLeastSquares.fit(rows: rows, targets: targets, weights: weights)
    }
    if kind == .local {
      for p in points {
        guard let base = model.base(p.features, op: p.configuration.unit.op), base > 0, p.microseconds > 0 else { continue }
        model.neighbours[UnitStructure(p.configuration), default: []].append(
          Neighbour(logMACs: log(max(p.features.macs, 1)), logRatio: log(p.microseconds / base)))
      }
    }
    return model
  }

  /// The per-op fit alone.
  func base(_ f: UnitFeatures, op: UnitOp) -> Double? {
    guard let c = coefficients[op.rawValue] else { return nil }
    let x = inputs(f)
    var sum = 0.0
    for i in 0..<min(c.count, x.count) { sum += c[i] * x[i] }
    return sum
  }

  /// Predicted microseconds, or nil when no model covers the op.
  public func predict(_ c: UnitConfiguration, features f: UnitFeatures) -> Double? {
    guard var value = base(f, op: c.unit.op) else { return nil }
    if kind == .local, let list = neighbours[UnitStructure(c)] {
      let m = log(max(f.macs, 1))
      var weightSum = priorWeight, ratioSum = 0.0
      for n in list {
        let d = (m - n.logMACs) / bandwidth
        let w = exp(-0.5 * d * d)
        weightSum += w
        ratioSum += w * n.logRatio
      }
      value *= exp(ratioSum / weightSum)
    }
    return max(value, 0.1)
  }
}

/// Whole-network latency against the sum of its units: measured = (1 + proportional)·Σ + intercept.
/// Covers what unit-by-unit timing misses: weights and activations that a lone unit keeps in
/// cache but a network evicts, and the runtime's per-run work.
public struct NetworkOverhead: Codable, Sendable {
  public var proportional: Double
  /// Microseconds.
  public var intercept: Double
  public var networks: Int

  public init(proportional: Double = 0, intercept: Double = 0, networks: Int = 0) {
    self.proportional = proportional
    self.intercept = intercept
    self.networks = networks
  }

  public func apply(_ sumMicroseconds: Double) -> Double { sumMicroseconds * (1 + proportional) + intercept }

  /// Fits on (sum of unit predictions, measured) pairs in microseconds, for relative error;
  /// with fewer than four networks only a proportional term (their median ratio) is used.
  public static func fit(sums: [Double], measured: [Double]) -> NetworkOverhead {
    let n = min(sums.count, measured.count)
    guard n > 0 else { return NetworkOverhead() }
    if n < 4 {
      let ratios = (0..<n).map { measured[$0] / max(sums[$0], 1e-9) }
      return NetworkOverhead(proportional: TimingSummary.median(ratios) - 1, intercept: 0, networks: n)
    }
    // Weighted least squares for [intercept, 1 + proportional] on measured = i + s·Σ.
    var a11 = 0.0, a12 = 0.0, a22 = 0.0, b1 = 0.0, b2 = 0.0
    for k in 0..<n {
      let w = 1 / (measured[k] * measured[k])
      a11 += w
      a12 += w * sums[k]
      a22 += w * sums[k] * sums[k]
      b1 += w * measured[k]
      b2 += w * sums[k] * measured[k]
    }
    let det = a11 * a22 - a12 * a12
    guard abs(det) > 1e-300 else { return NetworkOverhead(networks: n) }
    let intercept = (b1 * a22 - b2 * a12) / det
    let slope = (a11 * b2 - a12 * b1) / det
    return NetworkOverhead(proportional: slope - 1, intercept: intercept, networks: n)
  }
}
