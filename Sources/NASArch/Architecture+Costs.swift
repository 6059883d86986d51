/// Totals of an architecture's cost, counted as torchvision counts (see docs/counting.md).
public struct CostSummary: Hashable, Codable, Sendable {
  public var macs: Int
  public var params: Int

  public init(macs: Int, params: Int) {
    self.macs = macs
    self.params = params
  }
}

extension Architecture {
  /// Total multiply-accumulates and parameters; throws when the architecture is malformed.
  public func costs() throws(ArchitectureError) -> CostSummary {
    let units = try placedUnits()
    return CostSummary(macs: units.reduce(0) { $0 + $1.macs }, params: units.reduce(0) { $0 + $1.params })
  }

  /// Output shape of the last feature layer before pooling (where Zen-score measures).
  public func outputShapes() throws(ArchitectureError) -> [Shape] {
    try placedUnits().map(\.output)
  }
}
