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
struct Lexer {
  let file: String
  let text: [Character]

  init(text: String, file: String) {
    self.file = file
    self.text = Array(Self.normalizingLineEnds(text))
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

  func tokens() throws(DSLError) -> [Token] {
    var out: [Token] = []
    var i = 0
    var line = 1
    var column = 1
    var braceDepth = 0
    func location() -> SourceLocation { SourceLocation(file: file, line: line, column: column) }
    func advance() {
      if text[i] == "\n" { line += 1; column = 1 } else { column += 1 }
      i += 1
    }
    while i < text.count {
      let c = text[i]
      if c == " " || c == "\t" || c == "\r" { advance(); continue }
      if c == "#" {
        while i < text.count && text[i] != "\n" { advance() }
        continue
      }
      let start = location()
      if c == "\n" {
        if braceDepth == 0 { out.append(Token(kind: .newline, location: start)) }
        advance()
        continue
      }
      switch c {
      case "=": out.append(Token(kind: .equals, location: start)); advance(); continue
      case "{": braceDepth += 1; out.append(Token(kind: .openBrace, location: start)); advance(); continue
      case "}":
        braceDepth = max(0, braceDepth - 1)
        out.append(Token(kind: .closeBrace, location: start)); advance(); continue
      case ",": out.append(Token(kind: .comma, location: start)); advance(); continue
      default: break
      }
      if c == "\"" {
        advance()
        var value = ""
        var closed = false
        while i < text.count {
          let ch = text[i]
          if ch == "\n" { break }
          // An escaped line end would put a newline into a name and break the canonical text.
          if ch == "\\", i + 1 < text.count, text[i + 1] != "\n" { advance(); value.append(text[i]); advance(); continue }
          if ch == "\"" { closed = true; advance(); break }
          value.append(ch)
          advance()
        }
        guard closed else { throw DSLError(.syntax, at: start, "unterminated string", hint: "close it with \" on the same line") }
        out.append(Token(kind: .string(value), location: start))
        continue
      }
      if c.isNumber || ((c == "-" || c == "+" || c == ".") && i + 1 < text.count && (text[i + 1].isNumber || text[i + 1] == ".")) {
        var value = ""
        while i < text.count, text[i].isNumber || "+-.eE".contains(text[i]) {
          // A sign is part of the number only at its start or right after an exponent.
          if (text[i] == "-" || text[i] == "+"), !value.isEmpty, !(value.last == "e" || value.last == "E") { break }
          value.append(text[i])
          advance()
        }
        if i < text.count, text[i].isLetter || text[i] == "_" {
          var rest = value
          while i < text.count, !Self.isDelimiter(text[i]) { rest.append(text[i]); advance() }
          throw DSLError(.badValue, at: start, "'\(rest)' is not a number")
        }
        out.append(Token(kind: .number(value), location: start))
        continue
      }
      if c.isLetter || c == "_" {
        var value = ""
        while i < text.count, text[i].isLetter || text[i].isNumber || "_-.".contains(text[i]) {
          value.append(text[i])
          advance()
        }
        out.append(Token(kind: .word(value), location: start))
        continue
      }
      throw DSLError(.syntax, at: start, "unexpected character '\(c)'")
    }
    out.append(Token(kind: .newline, location: location()))
    out.append(Token(kind: .end, location: location()))
    return out
  }

  static func isDelimiter(_ c: Character) -> Bool { c == " " || c == "\t" || c == "\n" || c == "\r" || "={},#".contains(c) }
}
