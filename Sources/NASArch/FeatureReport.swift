import NASSupport

/// What a detector sees of a backbone: each tapped map's shape and channels, and the backbone's
/// parameters and GFLOPs counted as ultralytics counts them (2 × MACs / 1e9 at the input size),
/// so the numbers line up with YOLO and RT-DETR tables.
public struct FeatureReport: Codable, Sendable {
  /// One tapped feature map.
  public struct Tap: Codable, Sendable {
    public var name: String
    public var stride: Int
    public var unit: Int
    public var channels: Int
    public var height: Int
    public var width: Int
  }

  public var inputSize: Int
  public var taps: [Tap]
  /// Parameters and GFLOPs of the units up to the deepest tap (what a detector keeps).
  public var backboneParams: Int
  public var backboneGflops: Double
  /// The whole classification network's, for comparison.
  public var networkParams: Int
  public var networkGflops: Double

  // snake_case: the one JSON style the commands are moving to, so new keys start there.
  enum CodingKeys: String, CodingKey {
    case inputSize = "input_size"
    case taps
    case backboneParams = "backbone_params"
    case backboneGflops = "backbone_gflops"
    case networkParams = "network_params"
    case networkGflops = "network_gflops"
  }

  public init(_ arch: Architecture, strides: [Int]) throws {
    let taps = try arch.featureTaps(strides: strides)
    let placed = try arch.placedUnits()
    let deepest = taps.map(\.unit).max() ?? -1
    let backbone = placed.prefix { $0.index <= deepest }
    inputSize = arch.inputSize
    self.taps = taps.map {
      Tap(name: $0.name, stride: $0.stride, unit: $0.unit, channels: $0.shape.channels, height: $0.shape.height, width: $0.shape.width)
    }
    backboneParams = backbone.reduce(0) { $0 + $1.params }
    backboneGflops = 2 * Double(backbone.reduce(0) { $0 + $1.macs }) / 1e9
    networkParams = placed.reduce(0) { $0 + $1.params }
    networkGflops = 2 * Double(placed.reduce(0) { $0 + $1.macs }) / 1e9
  }

  /// The taps as a table, with the backbone's and the network's totals.
  public func table() -> String {
    var t = TextTable(headers: ["tap", "stride", "unit", "shape (C×H×W)", "channels"], rightAligned: [1, 2, 4])
    for tap in taps {
      t.append([tap.name, String(tap.stride), String(tap.unit), "\(tap.channels)×\(tap.height)×\(tap.width)", String(tap.channels)])
    }
    return t.render() + "\n\ninput \(inputSize)×\(inputSize)"
      + "\nbackbone (units up to the deepest tap): params \(Format.grouped(backboneParams)), GFLOPs \(Format.fixed(backboneGflops, 2))"
      + "\nwhole network: params \(Format.grouped(networkParams)), GFLOPs \(Format.fixed(networkGflops, 2))"
      + "  (GFLOPs = 2 × MACs / 1e9, as ultralytics counts)"
  }
}
