/// One written value: a single atom, or a `{a, b, c}` set of alternatives.
struct WrittenValue: Sendable {
  enum Atom: Sendable, Equatable {
    case word(String), number(String), string(String)
    var text: String {
      switch self {
      case .word(let s), .number(let s), .string(let s): return s
      }
    }
  }
  var atoms: [(Atom, SourceLocation)]
  var isSet: Bool
  var location: SourceLocation
}

/// A written `name=value` attribute.
struct WrittenAttribute: Sendable {
  var name: String
  var location: SourceLocation
  var value: WrittenValue
  /// Set when the attribute was written in a `let` group and reached this statement by `use=`.
  var group: GroupUse? = nil
}

/// Where an attribute taken from a group came from: the group's name, its `let` statement and
/// the `use=` that brought it into a layer statement.
struct GroupUse: Sendable {
  var name: String
  var definition: SourceLocation
  var use: SourceLocation
}

/// One line of a DSL file: a keyword, positional values and attributes.
struct Statement: Sendable {
  var keyword: String
  var location: SourceLocation
  var positionals: [WrittenValue]
  var attributes: [WrittenAttribute]
  /// The name a `let NAME = ...` statement defines, and where it is written.
  var definedName: String? = nil
  var definedNameLocation: SourceLocation? = nil
}

/// Groups tokens into statements.
struct StatementParser {
  var tokens: [Token]
  var index = 0

  init(tokens: [Token]) { self.tokens = tokens }

  mutating func statements() throws(DSLError) -> [Statement] {
    var result: [Statement] = []
    while true {
      let token = tokens[index]
      switch token.kind {
      case .end: return result
      case .newline: index += 1
      case .word(let keyword):
        index += 1
        if keyword == "let" {
          result.append(try letStatement(at: token.location))
        } else {
          result.append(try statement(keyword: keyword, at: token.location))
        }
      default:
        throw DSLError(.syntax, at: token.location, "a statement must start with a keyword, found \(describe(token))")
      }
    }
  }

  /// `let NAME = attributes`: the name and `=` are read here, the attributes as in any statement.
  private mutating func letStatement(at location: SourceLocation) throws(DSLError) -> Statement {
    let nameToken = tokens[index]
    guard case .word(let name) = nameToken.kind else {
      throw DSLError(
        .syntax, at: nameToken.location, "'let' needs a group name, found \(describe(nameToken))",
        hint: "write let NAME = attributes, e.g. let shared = k={3,5} se={0,0.25}")
    }
    index += 1
    let equals = tokens[index]
    guard equals.kind == .equals else {
      throw DSLError(
        .syntax, at: equals.location, "expected '=' after the group name '\(name)', found \(describe(equals))",
        hint: "write let \(name) = attributes")
    }
    index += 1
    var s = try statement(keyword: "let", at: location)
    s.definedName = name
    s.definedNameLocation = nameToken.location
    return s
  }

  private mutating func statement(keyword: String, at location: SourceLocation) throws(DSLError) -> Statement {
    var statement = Statement(keyword: keyword, location: location, positionals: [], attributes: [])
    while true {
      let token = tokens[index]
      switch token.kind {
      case .newline, .end:
        return statement
      case .word(let name) where tokens[index + 1].kind == .equals:
        index += 2
        let value = try value()
        statement.attributes.append(WrittenAttribute(name: name, location: token.location, value: value))
      case .equals:
        throw DSLError(.syntax, at: token.location, "'=' must follow an attribute name")
      default:
        statement.positionals.append(try value())
      }
    }
  }

  private mutating func value() throws(DSLError) -> WrittenValue {
    let token = tokens[index]
    if token.kind == .openBrace {
      index += 1
      var atoms: [(WrittenValue.Atom, SourceLocation)] = []
      while true {
        let t = tokens[index]
        guard let a = atom(t) else {
          if t.kind == .closeBrace && atoms.isEmpty {
            throw DSLError(.syntax, at: t.location, "empty set of alternatives", hint: "write at least one value between { }")
          }
          throw DSLError(.syntax, at: t.location, "expected a value in the set, found \(describe(t))")
        }
        atoms.append((a, t.location))
        index += 1
        let sep = tokens[index]
        if sep.kind == .comma { index += 1; continue }
        if sep.kind == .closeBrace { index += 1; break }
        throw DSLError(.syntax, at: sep.location, "expected ',' or '}' in the set, found \(describe(sep))", hint: "close the set with }")
      }
      return WrittenValue(atoms: atoms, isSet: true, location: token.location)
    }
    guard let a = atom(token) else {
      throw DSLError(.syntax, at: token.location, "expected a value, found \(describe(token))")
    }
    index += 1
    return WrittenValue(atoms: [(a, token.location)], isSet: false, location: token.location)
  }

  private func atom(_ token: Token) -> WrittenValue.Atom? {
    switch token.kind {
    case .word(let s): return .word(s)
    case .number(let s): return .number(s)
    case .string(let s): return .string(s)
    default: return nil
    }
  }

  private func describe(_ token: Token) -> String {
    switch token.kind {
    case .word(let s): return "'\(s)'"
    case .number(let s): return "'\(s)'"
    case .string(let s): return "\"\(s)\""
    case .equals: return "'='"
    case .openBrace: return "'{'"
    case .closeBrace: return "'}'"
    case .comma: return "','"
    case .newline: return "end of line"
    case .end: return "end of file"
    }
  }
}
