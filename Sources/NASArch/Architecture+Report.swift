import NASSupport

/// A printable summary of an architecture: one row per primitive layer plus totals, shared
/// by `nas arch info` (table and JSON) and the other commands that describe networks.
public struct ArchitectureReport: Codable, Sendable {
  /// One primitive layer.
  public struct LayerRow: Codable, Sendable {
    public var unit: Int
    public var role: String
    public var op: String
    public var layer: String
    public var input: String
    public var output: String
    public var macs: Int
    public var params: Int
  }

  public var name: String?
  public var hash: String
  public var input: String
  public var classes: Int
  public var units: Int
  public var macs: Int
  public var params: Int
  public var layers: [LayerRow]

  public init(_ arch: Architecture) throws(ArchitectureError) {
    let placed = try arch.placedUnits()
    name = arch.name
    hash = arch.canonicalHash
    input = arch.inputShape.description
    classes = arch.classes
    units = placed.count
    macs = placed.reduce(0) { $0 + $1.macs }
    params = placed.reduce(0) { $0 + $1.params }
    layers = placed.flatMap { u in
      u.segments.enumerated().flatMap { (segmentIndex, segment) in
        segment.layers.enumerated().map { (i, l) in
          var text = Self.describe(l.layer)
          if segment.residual && i == segment.layers.count - 1 { text += " +res" }
          _ = segmentIndex
          return LayerRow(
            unit: u.index, role: u.unit.role.rawValue, op: u.unit.op.rawValue, layer: text, input: l.input.description,
            output: l.output.description, macs: l.macs, params: l.params)
        }
      }
    }
  }

  /// The aligned table with a totals line.
  public func table() -> String {
    var t = TextTable(
      headers: ["unit", "op", "layer", "input", "output", "MACs", "params"], rightAligned: [0, 5, 6])
    for r in layers {
      t.append([String(r.unit), r.op, r.layer, r.input, r.output, Format.grouped(r.macs), Format.grouped(r.params)])
    }
    var text = t.render()
    text += "\n\n\(name ?? "architecture")  \(hash.prefix(12))  input \(input)  classes \(classes)  units \(units)"
    text += "\ntotal MACs \(Format.grouped(macs)) (\(Format.si(Double(macs))))  params \(Format.grouped(params)) (\(Format.si(Double(params))))"
    return text
  }

  static func describe(_ layer: Layer) -> String {
    switch layer {
    case .conv(let c):
      var s = c.isDepthwise ? "dw\(c.kernel)x\(c.kernel)" : "conv\(c.kernel)x\(c.kernel)"
      if c.stride > 1 { s += "/\(c.stride)" }
      switch c.normalization {
      case .batchNorm: s += " bn"
      case .foldedBatchNorm: s += " bn(folded)"
      case .none: s += " bias"
      }
      if c.activation != .none { s += " \(c.activation.rawValue)" }
      return s
    case .squeezeExcite(let se):
      return "se \(se.channels)->\(se.squeezeChannels) \(se.gate.rawValue)"
    case .globalAveragePool:
      return "avgpool"
    case .linear(let l):
      var s = "fc"
      if l.dropoutBefore > 0 { s = "dropout \(Architecture.formatNumber(l.dropoutBefore)) " + s }
      if l.normalizationBefore == .batchNorm { s = "bn " + s }
      return s
    }
  }
}
