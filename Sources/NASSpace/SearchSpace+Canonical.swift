import NASArch
import NASSupport

extension SearchSpace {
  /// The canonical text: the parsed space printed back as a valid `.space` file, with `let`
  /// groups expanded, comments and blank lines dropped, one statement per line, attributes in
  /// one fixed order (the order of docs/dsl.md's attribute table), numbers in their shortest
  /// form, alternatives in their written order (it is the order of a decision's indices), and
  /// attributes that equal their default left out (except `k`, `s` and `act`, always printed).
  /// Two files that parse to the same space print the same text; parsing the text gives the
  /// same space again.
  public func canonicalText(includeName: Bool = true) -> String {
    var lines: [String] = []
    if includeName, let name { lines.append("name \(Self.quotedIfNeeded(name))") }
    lines.append("input \(Self.list(inputSize, String.init)) channels=\(inputChannels)")
    lines.append("classes \(classes)")
    if width.values != [1] { lines.append("width \(Self.list(width, Self.fmt))") }
    if resolution.values != [1] { lines.append("resolution \(Self.list(resolution, Self.fmt))") }
    if divisor != 8 { lines.append("divisor \(divisor)") }
    if normalization != .batchNorm { lines.append("batchnorm \(Architecture.normalizationWord(normalization))") }
    for t in templates { lines.append(Self.canonicalLine(t)) }
    return lines.joined(separator: "\n") + "\n"
  }

  /// The space's identity: SHA-256 of the canonical text without the `name` line, in
  /// lower-case hex. Recorded with search and latency runs; `--resume` compares it.
  public var contentHash: String { SHA256.hex(canonicalText(includeName: false)) }

  /// One statement, from its parsed values.
  static func canonicalLine(_ t: UnitTemplate) -> String {
    var parts = [t.role.rawValue]
    if t.role == .classifier {
      if let n = t.normalization { parts.append("bn=\(Architecture.normalizationWord(n))") }
      if t.dropout != 0 { parts.append("dropout=\(fmt(t.dropout))") }
      return parts.joined(separator: " ")
    }
    if t.op.values == [.pool] {
      parts.append("pool")
      return parts.joined(separator: " ")
    }
    parts.append(t.op.isFixed ? t.op.first.rawValue : "op=" + list(t.op, \.rawValue))
    parts.append("k=" + list(t.kernel, String.init))
    parts.append("s=" + list(t.stride, String.init))
    if let out = t.out { parts.append("out=\(out)") }
    if t.repeatCount != 1 { parts.append("repeat=\(t.repeatCount)") }
    if t.depthDelta.values != [0] { parts.append("depth=" + list(t.depthDelta, String.init)) }
    if t.widthFactor.values != [1] { parts.append("width=" + list(t.widthFactor, fmt)) }
    if let e = t.expand { parts.append("expand=" + list(e, fmt)) }
    if let m = t.mid { parts.append("mid=" + list(m, String.init)) }
    if let r = t.seRatio { parts.append("se=" + list(r, fmt)) }
    if let c = t.seChannels { parts.append("se-ch=" + list(c, String.init)) }
    if t.seReference != .expanded { parts.append("se-ref=\(t.seReference.rawValue)") }
    if let d = t.seDivisor { parts.append("se-divisor=\(d)") }
    if t.seGate.values != [.hsigmoid] { parts.append("se-gate=" + list(t.seGate, \.rawValue)) }
    if t.seActivation != .relu { parts.append("se-act=\(t.seActivation.rawValue)") }
    if t.seAlternate { parts.append("se-alternate=yes") }
    parts.append("act=" + list(t.activation, \.rawValue))
    if t.pwActivation.values != [.none] { parts.append("pw-act=" + list(t.pwActivation, \.rawValue)) }
    if t.skip.values != [false] { parts.append("skip=" + list(t.skip) { $0 ? "identity" : "none" }) }
    if let n = t.normalization { parts.append("bn=\(Architecture.normalizationWord(n))") }
    if t.scale != .yes { parts.append("scale=\(t.scale.rawValue)") }
    if t.perLayer { parts.append("choose=per-layer") }
    return parts.joined(separator: " ")
  }

  /// `3` or `{3,5}`.
  static func list<T>(_ c: Choice<T>, _ f: (T) -> String) -> String {
    c.isFixed ? f(c.first) : "{" + c.values.map(f).joined(separator: ",") + "}"
  }

  static func fmt(_ x: Double) -> String { Architecture.formatNumber(x) }

  /// A name as one word when the lexer reads it back as that word, else as a quoted string.
  static func quotedIfNeeded(_ s: String) -> String {
    let ascii = s.unicodeScalars
    let isWord =
      !s.isEmpty && ascii.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "_-.".unicodeScalars.contains($0)) }
      && (ascii.first!.properties.isAlphabetic || ascii.first! == "_")
    if isWord { return s }
    return "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
  }
}
