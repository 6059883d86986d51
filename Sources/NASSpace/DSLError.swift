/// A problem in a `.space` or `.arch` file, with where it is and, when it helps, a hint.
public struct DSLError: Error, CustomStringConvertible, Equatable, Sendable {
  /// What kind of problem; tests match on this rather than on the message text.
  public enum Kind: String, Sendable, Equatable {
    case syntax, unknownKeyword, unknownAttribute, badValue, outOfRange, duplicate, missing, order, impossibleShape,
      choiceInArchitecture, io
  }

  public var kind: Kind
  public var location: SourceLocation
  public var message: String
  public var hint: String?

  /// Control characters in `message` and `hint` (which quote the file) are escaped, so an
  /// error never writes raw control bytes to a terminal.
  public init(_ kind: Kind, at location: SourceLocation, _ message: String, hint: String? = nil) {
    self.kind = kind
    self.location = location
    self.message = Self.escapingControls(message)
    self.hint = hint.map(Self.escapingControls)
  }

  /// `file:line:col: message (hint)`
  public var description: String {
    var text = "\(Self.escapingControls(location.description)): \(message)"
    if let hint { text += " (\(hint))" }
    return text
  }

  /// Writes control, format and line-separator characters as `\u{1B}` (hex), as Swift does;
  /// other text, including non-ASCII letters, is kept.
  public static func escapingControls(_ text: String) -> String {
    let escaped: (Unicode.Scalar) -> Bool = {
      switch $0.properties.generalCategory {
      case .control, .format, .lineSeparator, .paragraphSeparator: return true
      default: return false
      }
    }
    guard text.unicodeScalars.contains(where: escaped) else { return text }
    var out = ""
    for u in text.unicodeScalars {
      if escaped(u) { out += "\\u{" + String(u.value, radix: 16, uppercase: true) + "}" } else { out.unicodeScalars.append(u) }
    }
    return out
  }
}

/// Suggests the closest known word for a misspelling ("did you mean hswish?").
enum Suggest {
  static func hint(for word: String, among candidates: [String]) -> String? {
    let lower = word.lowercased()
    var best: (String, Int)?
    for c in candidates {
      let d = distance(lower, c)
      if best == nil || d < best!.1 { best = (c, d) }
    }
    guard let (candidate, d) = best, d <= max(2, candidate.count / 3) else { return nil }
    return "did you mean \(candidate)?"
  }

  static func distance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
      current[0] = i
      for j in 1...b.count {
        current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
      }
      swap(&previous, &current)
    }
    return previous[b.count]
  }
}
