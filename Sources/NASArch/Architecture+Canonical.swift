import NASSupport

extension Architecture {
  /// The canonical text: a valid `.arch` file with one line per unit, absolute widths and a
  /// fixed key order. Parsing it gives back an equal architecture; its hash is the identity
  /// used by the results store.
  public func canonicalText(includeName: Bool = true) -> String {
    var lines: [String] = []
    if includeName, let name, !name.isEmpty { lines.append("name \(Self.quoteIfNeeded(name))") }
    lines.append("input \(inputSize) channels=\(inputChannels)")
    lines.append("classes \(classes)")
    for unit in units { lines.append(Self.canonicalLine(unit)) }
    return lines.joined(separator: "\n") + "\n"
  }

  /// SHA-256 of the canonical text without the name, in lower-case hex (64 characters).
  public var canonicalHash: String { SHA256.hex(canonicalText(includeName: false)) }

  /// The first 12 characters of ``canonicalHash``, for display.
  public var shortHash: String { String(canonicalHash.prefix(12)) }

  /// The canonical statement of one unit.
  public static func canonicalLine(_ u: Unit) -> String {
    var parts: [String] = [u.role.rawValue]
    switch u.op {
    case .pool:
      parts.append("pool")
      return parts.joined(separator: " ")
    case .classifier:
      if u.normalization != .none { parts.append("bn=\(normalizationWord(u.normalization))") }
      if u.dropout > 0 { parts.append("dropout=\(formatNumber(u.dropout))") }
      return parts.joined(separator: " ")
    default:
      break
    }
    parts.append(u.op.rawValue)
    parts.append("k=\(u.kernel)")
    parts.append("s=\(u.stride)")
    if let mid = u.midChannels { parts.append("mid=\(mid)") }
    parts.append("out=\(u.outChannels)")
    if let se = u.squeezeExcite {
      parts.append("se-ch=\(se.squeezeChannels)")
      parts.append("se-gate=\(se.gate.rawValue)")
      parts.append("se-act=\(se.activation.rawValue)")
    }
    if u.op != .repvit && u.op != .repvitDown { parts.append("act=\(u.activation.rawValue)") }
    if u.pwActivation != .none { parts.append("pw-act=\(u.pwActivation.rawValue)") }
    if u.residual { parts.append("skip=identity") }
    if u.normalization != .batchNorm { parts.append("bn=\(normalizationWord(u.normalization))") }
    return parts.joined(separator: " ")
  }

  /// The DSL word for a normalisation: `yes`, `folded` or `none`.
  public static func normalizationWord(_ n: Normalization) -> String {
    switch n {
    case .batchNorm: return "yes"
    case .foldedBatchNorm: return "folded"
    case .none: return "none"
    }
  }

  /// Shortest decimal text that reads back to the same Double (`0.25`, `1`, `0.2`).
  public static func formatNumber(_ x: Double) -> String {
    if x == x.rounded(), abs(x) < 1e15 { return String(Int(x)) }
    return "\(x)"
  }

  static func quoteIfNeeded(_ s: String) -> String {
    let plain = s.allSatisfy { $0.isLetter || $0.isNumber || "-_.".contains($0) }
    if plain { return s }
    return "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
  }
}
