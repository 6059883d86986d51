import NASArch

/// Converts written values to typed choices, checking types and ranges.
struct ValueReader {
  static func atoms(_ v: WrittenValue, allowSet: Bool, what: String) throws(DSLError) -> [(WrittenValue.Atom, SourceLocation)] {
    if v.isSet && !allowSet {
      throw DSLError(.badValue, at: v.location, "\(what) takes one value, not a set of alternatives")
    }
    return v.atoms
  }

  static func int(
    _ v: WrittenValue, what: String, range: ClosedRange<Int>, allowSet: Bool = true, signed: Bool = false
  ) throws(DSLError) -> Choice<Int> {
    var values: [Int] = []
    for (atom, loc) in try atoms(v, allowSet: allowSet, what: what) {
      guard case .number(let text) = atom, let n = Int(text) else {
        throw DSLError(.badValue, at: loc, "\(what) must be a whole number, got '\(atom.text)'")
      }
      guard range.contains(n) else {
        throw DSLError(.outOfRange, at: loc, "\(what) must be between \(range.lowerBound) and \(range.upperBound), got \(n)")
      }
      values.append(n)
    }
    return try unique(values, v)
  }

  static func double(
    _ v: WrittenValue, what: String, above lower: Double, atMost upper: Double, allowSet: Bool = true, inclusiveLower: Bool = false
  ) throws(DSLError) -> Choice<Double> {
    var values: [Double] = []
    for (atom, loc) in try atoms(v, allowSet: allowSet, what: what) {
      guard case .number(let text) = atom, let x = Double(text), x.isFinite else {
        throw DSLError(.badValue, at: loc, "\(what) must be a number, got '\(atom.text)'")
      }
      let okLower = inclusiveLower ? x >= lower : x > lower
      guard okLower, x <= upper else {
        let bound = inclusiveLower ? "[\(fmt(lower)), \(fmt(upper))]" : "(\(fmt(lower)), \(fmt(upper))]"
        throw DSLError(.outOfRange, at: loc, "\(what) must be in \(bound), got \(text)")
      }
      values.append(x)
    }
    return try unique(values, v)
  }

  static func word<T: Hashable & Sendable>(
    _ v: WrittenValue, what: String, options: [(String, T)], allowSet: Bool = true
  ) throws(DSLError) -> Choice<T> {
    var values: [T] = []
    for (atom, loc) in try atoms(v, allowSet: allowSet, what: what) {
      let text = atom.text
      guard let match = options.first(where: { $0.0 == text }) else {
        let names = options.map(\.0)
        throw DSLError(
          .badValue, at: loc, "unknown \(what) '\(text)'; expected one of \(names.joined(separator: ", "))",
          hint: Suggest.hint(for: text, among: names))
      }
      values.append(match.1)
    }
    return try unique(values, v)
  }

  static func activation(_ v: WrittenValue, what: String, allowed: [Activation]) throws(DSLError) -> Choice<Activation> {
    try word(v, what: what, options: allowed.map { ($0.rawValue, $0) })
  }

  private static func unique<T: Hashable>(_ values: [T], _ v: WrittenValue) throws(DSLError) -> Choice<T> {
    // Most values are single: no set to allocate for them (a file has one per attribute).
    if values.count < 2 { return Choice(values, at: v.location) }
    var seen = Set<T>()
    for (i, x) in values.enumerated() where !seen.insert(x).inserted {
      throw DSLError(.duplicate, at: v.atoms[i].1, "alternative listed twice")
    }
    return Choice(values, at: v.location)
  }

  static func fmt(_ x: Double) -> String { Architecture.formatNumber(x) }
}
