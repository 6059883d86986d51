import NASArch
import NASSupport

/// What `nas space show` prints: statements with their alternatives, the decisions, the exact
/// size, and the MACs range seen in a few samples.
public struct SpaceSummary: Codable, Sendable {
  public struct DecisionRow: Codable, Sendable {
    public var name: String
    public var alternatives: [String]
  }
  public var file: String
  public var name: String?
  public var hash: String
  public var statements: [String]
  public var decisions: [DecisionRow]
  public var size: String
  public var sizeScientific: String
  public var distinctUnitConfigurations: Int

  public init(_ space: SearchSpace) throws(ArchitectureError) {
    file = space.file
    name = space.name
    hash = space.contentHash
    statements = zip(space.templateNames, space.templates).map { $0 + ": " + Self.describe($1) }
    decisions = space.decisions.map { DecisionRow(name: $0.name, alternatives: $0.labels) }
    do {
      let analysis = try space.analyze()
      size = analysis.size.description
      sizeScientific = analysis.size.scientific
      distinctUnitConfigurations = analysis.distinctUnitConfigurations
    } catch {
      throw .invalidValue(unit: nil, what: error.description)
    }
  }

  public func text() -> String {
    var lines = ["space \(name ?? file)  (\(file), sha256 \(hash.prefix(12)))", ""]
    lines += statements.map { "  " + $0 }
    lines.append("")
    lines.append("decisions: \(decisions.count)")
    var t = TextTable(headers: ["decision", "alternatives"])
    for d in decisions { t.append([d.name, d.alternatives.joined(separator: " ")]) }
    if !decisions.isEmpty { lines.append(t.render()) }
    lines.append("")
    lines.append("size: \(size) distinct architectures (\(sizeScientific))")
    lines.append("distinct unit configurations (latency-table entries): \(distinctUnitConfigurations)")
    return lines.joined(separator: "\n")
  }

  static func describe(_ t: UnitTemplate) -> String {
    func list<T>(_ c: Choice<T>, _ f: (T) -> String) -> String {
      c.isFixed ? f(c.first) : "{" + c.values.map(f).joined(separator: ",") + "}"
    }
    let fmt = Architecture.formatNumber
    var parts = [list(t.op) { $0.rawValue }]
    if t.role == .classifier { return "classifier" + (t.dropout > 0 ? " dropout=\(fmt(t.dropout))" : "") }
    if t.op.values == [.pool] { return "pool" }
    parts.append("k=" + list(t.kernel) { String($0) })
    parts.append("s=" + list(t.stride) { String($0) })
    if let out = t.out { parts.append("out=\(out)") }
    if t.repeatCount != 1 { parts.append("repeat=\(t.repeatCount)") }
    if !t.depthDelta.isFixed || t.depthDelta.first != 0 { parts.append("depth=" + list(t.depthDelta) { String($0) }) }
    if !t.widthFactor.isFixed || t.widthFactor.first != 1 { parts.append("width=" + list(t.widthFactor, fmt)) }
    if let e = t.expand { parts.append("expand=" + list(e, fmt)) }
    if let m = t.mid { parts.append("mid=" + list(m) { String($0) }) }
    if let s = t.seRatio { parts.append("se=" + list(s, fmt)) }
    parts.append("act=" + list(t.activation) { $0.rawValue })
    if !t.skip.isFixed || t.skip.first { parts.append("skip=" + list(t.skip) { $0 ? "identity" : "none" }) }
    if t.perLayer { parts.append("choose=per-layer") }
    return parts.joined(separator: " ")
  }
}
