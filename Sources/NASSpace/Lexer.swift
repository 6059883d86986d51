/// A token of the DSL with its position.
struct Token: Equatable, Sendable {
  enum Kind: Equatable, Sendable {
    case word(String)
    case number(String)
    case string(String)
    case equals, openBrace, closeBrace, comma, newline, end
  }
  var kind: Kind
  var location: SourceLocation
}

/// Splits DSL text into tokens. Newlines end statements except inside `{ }`; `#` starts a comment.
/// CRLF and a lone CR end lines as LF does (files edited on Windows or old Macs).
///
/// Works on UTF-8 bytes with ASCII fast paths, since the syntax is ASCII: loading time is
/// linear in the file and small per byte. Non-ASCII letters, digits and combining marks may
/// continue a word; columns count Unicode scalars.
struct Lexer {
  let file: String
  let bytes: [UInt8]

  init(text: String, file: String) {
    self.file = file
    self.bytes = Array(Self.normalizingLineEnds(text).utf8)
  }

  /// The text with every CRLF and lone CR replaced by LF. Columns stay right, since a CR only
  /// ever ends a line; the text is returned as is when it holds no CR.
  static func normalizingLineEnds(_ text: String) -> String {
    guard text.utf8.contains(13) else { return text }
    var scalars = String.UnicodeScalarView()
    var afterCR = false
    for u in text.unicodeScalars {
      if u == "\r" {
        scalars.append("\n")
        afterCR = true
        continue
      }
      if !(afterCR && u == "\n") { scalars.append(u) }
      afterCR = false
    }
    return String(scalars)
  }

  private static let newline = UInt8(ascii: "\n")

  func tokens() throws(DSLError) -> [Token] {
    var out: [Token] = []
    out.reserveCapacity(bytes.count / 4)
    var i = 0
    var line = 1
    var column = 1
    var braceDepth = 0
    let n = bytes.count
    func location() -> SourceLocation { SourceLocation(file: file, line: line, column: column) }
    /// Moves past one scalar (all of its UTF-8 bytes).
    func advance() {
      if bytes[i] == Self.newline {
        line += 1
        column = 1
      } else {
        column += 1
      }
      i += Self.scalarLength(bytes[i])
      if i > n { i = n }
    }
    func text(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }
    while i < n {
      let c = bytes[i]
      if c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") { advance(); continue }
      if c == UInt8(ascii: "#") {
        while i < n && bytes[i] != Self.newline { advance() }
        continue
      }
      let start = location()
      switch c {
      case Self.newline:
        if braceDepth == 0 { out.append(Token(kind: .newline, location: start)) }
        advance()
        continue
      case UInt8(ascii: "="): out.append(Token(kind: .equals, location: start)); advance(); continue
      case UInt8(ascii: "{"): braceDepth += 1; out.append(Token(kind: .openBrace, location: start)); advance(); continue
      case UInt8(ascii: "}"):
        braceDepth = max(0, braceDepth - 1)
        out.append(Token(kind: .closeBrace, location: start)); advance(); continue
      case UInt8(ascii: ","): out.append(Token(kind: .comma, location: start)); advance(); continue
      default: break
      }
      if c == UInt8(ascii: "\"") {
        advance()
        var value: [UInt8] = []
        var closed = false
        while i < n {
          let ch = bytes[i]
          if ch == Self.newline { break }
          // An escaped line end would put a newline into a name and break the canonical text.
          if ch == UInt8(ascii: "\\"), i + 1 < n, bytes[i + 1] != Self.newline {
            advance()
            let from = i
            advance()
            value += bytes[from..<i]
            continue
          }
          if ch == UInt8(ascii: "\"") { closed = true; advance(); break }
          let from = i
          advance()
          value += bytes[from..<i]
        }
        guard closed else { throw DSLError(.syntax, at: start, "unterminated string", hint: "close it with \" on the same line") }
        out.append(Token(kind: .string(String(decoding: value, as: UTF8.self)), location: start))
        continue
      }
      if Self.isDigit(c) || ((c == UInt8(ascii: "-") || c == UInt8(ascii: "+") || c == UInt8(ascii: "."))
        && i + 1 < n && (Self.isDigit(bytes[i + 1]) || bytes[i + 1] == UInt8(ascii: ".")))
      {
        let from = i
        while i < n, Self.isNumberByte(bytes[i]) {
          // A sign is part of the number only at its start or right after an exponent.
          if bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+"), i > from,
            !(bytes[i - 1] == UInt8(ascii: "e") || bytes[i - 1] == UInt8(ascii: "E"))
          {
            break
          }
          advance()
        }
        if i < n, isWordStart(at: i) {
          while i < n, !Self.isDelimiter(bytes[i]) { advance() }
          throw DSLError(.badValue, at: start, "'\(text(from..<i))' is not a number")
        }
        out.append(Token(kind: .number(text(from..<i)), location: start))
        continue
      }
      if isWordStart(at: i) {
        let from = i
        while i < n, isWordContinuation(at: i) { advance() }
        out.append(Token(kind: .word(text(from..<i)), location: start))
        continue
      }
      throw DSLError(.syntax, at: start, "unexpected character '\(Self.scalar(bytes, at: i))'")
    }
    out.append(Token(kind: .newline, location: location()))
    out.append(Token(kind: .end, location: location()))
    return out
  }

  static func isDelimiter(_ c: UInt8) -> Bool {
    switch c {
    case UInt8(ascii: " "), UInt8(ascii: "\t"), newline, UInt8(ascii: "="), UInt8(ascii: "{"), UInt8(ascii: "}"),
      UInt8(ascii: ","), UInt8(ascii: "#"):
      return true
    default: return false
    }
  }

  private static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

  private static func isNumberByte(_ c: UInt8) -> Bool {
    isDigit(c) || c == UInt8(ascii: "+") || c == UInt8(ascii: "-") || c == UInt8(ascii: ".") || c == UInt8(ascii: "e")
      || c == UInt8(ascii: "E")
  }

  private static func isASCIILetter(_ c: UInt8) -> Bool {
    (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
  }

  /// A letter or `_` (any script).
  private func isWordStart(at i: Int) -> Bool {
    let c = bytes[i]
    if c < 0x80 { return Self.isASCIILetter(c) || c == UInt8(ascii: "_") }
    return Self.scalar(bytes, at: i).properties.generalCategory.isLetter
  }

  /// Letters, digits, `_`, `-`, `.`, and (outside ASCII) combining marks and numbers.
  private func isWordContinuation(at i: Int) -> Bool {
    let c = bytes[i]
    if c < 0x80 {
      return Self.isASCIILetter(c) || Self.isDigit(c) || c == UInt8(ascii: "_") || c == UInt8(ascii: "-") || c == UInt8(ascii: ".")
    }
    let category = Self.scalar(bytes, at: i).properties.generalCategory
    return category.isLetter || category.isMark || category.isNumber
  }

  /// The number of bytes of the UTF-8 sequence a lead byte starts (the text is valid UTF-8).
  private static func scalarLength(_ lead: UInt8) -> Int {
    if lead < 0x80 { return 1 }
    if lead < 0xE0 { return 2 }
    if lead < 0xF0 { return 3 }
    return 4
  }

  /// The scalar starting at byte `i`.
  static func scalar(_ bytes: [UInt8], at i: Int) -> Unicode.Scalar {
    let end = min(bytes.count, i + scalarLength(bytes[i]))
    return String(decoding: bytes[i..<end], as: UTF8.self).unicodeScalars.first ?? "\u{FFFD}"
  }
}

extension Unicode.GeneralCategory {
  var isLetter: Bool {
    switch self {
    case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
    default: return false
    }
  }
  var isMark: Bool { self == .nonspacingMark || self == .spacingMark || self == .enclosingMark }
  var isNumber: Bool { self == .decimalNumber || self == .letterNumber || self == .otherNumber }
}
