import Foundation
import NASArch
import NASSpace

/// Where a unit's predicted latency came from.
public enum EstimateSource: String, Codable, Sendable {
  /// The configuration was measured: the table value of its samples.
  case measured
  /// The fitted model.
  case model
}

/// A network's predicted latency with its per-unit breakdown.
public struct LatencyPrediction: Codable, Sendable {
  public struct UnitRow: Codable, Sendable {
    public var index: Int
    public var unit: String
    public var microseconds: Double
    public var source: EstimateSource

    enum CodingKeys: String, CodingKey {
      case index, unit, source
      case microseconds = "latencyUs"
    }
  }

  public var milliseconds: Double
  public var unitsMilliseconds: Double
  public var overheadMilliseconds: Double
  public var units: [UnitRow]
  public var measuredUnits: Int { units.filter { $0.source == .measured }.count }

  enum CodingKeys: String, CodingKey {
    case units
    case milliseconds = "latencyMs", unitsMilliseconds = "unitsMs", overheadMilliseconds = "overheadMs"
  }
}

/// Predicts the latency of architectures on one device profile: exact lookup of measured
/// unit configurations, the fitted model for the others, and the network overhead term.
///
/// A value type: share it freely between threads; a prediction costs microseconds.
public struct LatencyPredictor: Sendable {
  public let profile: DeviceProfile
  /// Microseconds of every measured configuration (normalised, see ``UnitKey``): the fastest
  /// of its samples (``LatencyPredictor/tableValues(_:)``).
  public let table: [UnitConfiguration: Double]
  public let model: UnitLatencyModel
  public let overhead: NetworkOverhead
  /// Samples the table was built from.
  public let sampleCount: Int

  public init(profile: DeviceProfile, table: [UnitConfiguration: Double], model: UnitLatencyModel, overhead: NetworkOverhead, sampleCount: Int) {
    self.profile = profile
    self.table = table
    self.model = model
    self.overhead = overhead
    self.sampleCount = sampleCount
  }

  /// One unit on its input: its table value when measured, the model otherwise.
  public func estimate(_ unit: NASArch.Unit, input: Shape, features: @autoclosure () throws(LatencyError) -> UnitFeatures)
    throws(LatencyError) -> (microseconds: Double, source: EstimateSource)
  {
    let c = UnitKey.normalized(unit, input: input)
    if let v = table[c] { return (v, .measured) }
    guard let v = model.predict(c, features: try features()) else {
      throw .noModel(unit: UnitKey.text(c), profile: profile.id)
    }
    return (v, .model)
  }

  /// The predicted latency of `architecture` with a per-unit breakdown.
  public func predict(_ architecture: Architecture) throws(LatencyError) -> LatencyPrediction {
    let placed: [PlacedUnit]
    do { placed = try architecture.placedUnits() } catch { throw LatencyError(error) }
    var rows: [LatencyPrediction.UnitRow] = []
    rows.reserveCapacity(placed.count)
    var sum = 0.0
    for p in placed {
      let e = try estimate(p.unit, input: p.input, features: UnitFeatures(p))
      sum += e.microseconds
      rows.append(.init(index: p.index, unit: UnitKey.text(unit: p.unit, input: p.input), microseconds: e.microseconds, source: e.source))
    }
    let total = overhead.apply(sum)
    return LatencyPrediction(milliseconds: total / 1000, unitsMilliseconds: sum / 1000, overheadMilliseconds: (total - sum) / 1000, units: rows)
  }

  /// The predicted latency in milliseconds (no breakdown; what search and NetAdapt call).
  public func milliseconds(_ architecture: Architecture) throws(LatencyError) -> Double {
    let placed: [PlacedUnit]
    do { placed = try architecture.placedUnits() } catch { throw LatencyError(error) }
    var sum = 0.0
    for p in placed { sum += try estimate(p.unit, input: p.input, features: UnitFeatures(p)).microseconds }
    return overhead.apply(sum) / 1000
  }

  /// The predicted latency of one unit configuration in microseconds (no overhead term); what
  /// `SearchSpace.extremes(of:)` sums.
  public func microseconds(_ configuration: UnitConfiguration) throws(LatencyError) -> Double {
    try estimate(configuration.unit, input: configuration.input, features: UnitFeatures(configuration)).microseconds
  }
}

extension LatencyPredictor {
  /// The smallest and largest predicted latency (ms) of any architecture of `space`.
  public func predictedRange(of space: SearchSpace) throws -> (min: Double, max: Double) {
    let units = try space.extremes { try microseconds($0) }
    return (overhead.apply(units.min) / 1000, overhead.apply(units.max) / 1000)
  }
}
