import NASArch
import NASSupport

/// Which choices the best candidates made, block by block: for each block position and each
/// attribute a space chooses (op, kernel, expansion, squeeze-excite, activation, skip), the
/// most common value and its share; and how many blocks the networks have (depth).
struct ChoiceFrequencies {
  static let attributes = ["op", "k", "expansion", "se", "act", "skip"]
  var blocks: [[(unit: NASArch.Unit, input: Shape)]] = []

  init(_ architectures: [Architecture]) {
    blocks = architectures.compactMap { arch in
      (try? arch.placedUnits()).map { placed in placed.filter { $0.unit.role == .block }.map { ($0.unit, $0.input) } }
    }
  }

  static func value(_ attribute: String, _ unit: NASArch.Unit, _ input: Shape) -> String {
    switch attribute {
    case "op": return unit.op.rawValue
    case "k": return String(unit.kernel)
    case "expansion":
      guard unit.op == .mbconv else { return "-" }
      return Format.fixed(Double(unit.midChannels ?? input.channels) / Double(input.channels), 2)
    case "se": return unit.squeezeExcite == nil ? "no" : "yes"
    case "act": return unit.activation.rawValue
    default: return unit.residual ? "identity" : "none"
    }
  }

  /// The most common value of `values` and its share.
  static func mode(_ values: [String]) -> (value: String, share: Double)? {
    guard !values.isEmpty else { return nil }
    var counts: [String: Int] = [:]
    for v in values { counts[v, default: 0] += 1 }
    let top = counts.max { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }!
    return (top.key, Double(top.value) / Double(values.count))
  }

  var html: String {
    guard !blocks.isEmpty else { return HTMLPage.paragraph("No candidate to count yet.") }
    let depths = blocks.map { String($0.count) }
    var out = HTMLPage.paragraph(
      "Over the \(blocks.count) best candidates; each cell is the most common value at that block and the share of the candidates that took it.")
    if let d = Self.mode(depths) { out += HTMLPage.paragraph("blocks per network: \(d.value) in \(Format.fixed(100 * d.share, 0))% of them") }
    let positions = blocks.map(\.count).max() ?? 0
    let rows = (0..<positions).map { i -> [String] in
      let present = blocks.compactMap { $0.indices.contains(i) ? $0[i] : nil }
      return ["\(i + 1)", "\(present.count)"]
        + Self.attributes.map { a in
          guard let m = Self.mode(present.map { Self.value(a, $0.unit, $0.input) }) else { return "" }
          return HTMLPage.bar(m.share, of: 1, label: m.value)
        }
    }
    return out + HTMLPage.table(["block", "networks"] + Self.attributes, rows, numeric: [0, 1])
  }
}
