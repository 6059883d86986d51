import Foundation
import NASArch
import NASSupport

/// Entry points for reading `.space` and `.arch` files.
public enum DSL {
  /// Parses a search space. Every combination of its choices is resolved once, so a space
  /// that loads is one whose every sample is a valid network.
  public static func parseSpace(_ text: String, file: String) throws(DSLError) -> SearchSpace {
    let tokens = try Lexer(text: text, file: file).tokens()
    var parser = StatementParser(tokens: tokens)
    let statements = try parser.statements()
    // The identity is the canonical text's hash (``SearchSpace/contentHash``); the text's own
    // hash is kept to recognise runs recorded before it. Line ends change neither.
    var builder = SpaceBuilder(file: file, sourceTextHash: SpaceIdentity.sourceTextHash(text))
    let end = tokens.last?.location ?? SourceLocation(file: file, line: 1, column: 1)
    var space = try builder.build(statements, endOfFile: end)
    space.analysisCache = try space.analyze()
    return space
  }

  /// Parses an architecture: a space whose every parameter has one value.
  public static func parseArchitecture(_ text: String, file: String) throws(DSLError) -> Architecture {
    try architecture(of: try parseSpace(text, file: file), analyzed: true)
  }

  /// The one architecture of a space without alternatives (re-validated, so a space whose
  /// settings were changed after parsing is checked again).
  public static func parseArchitecture(space: SearchSpace) throws(DSLError) -> Architecture {
    try architecture(of: space, analyzed: false)
  }

  /// `analyzed`: the space was just parsed, and parsing analysed it; analysing again would
  /// double the loading time of every `.arch` file.
  private static func architecture(of space: SearchSpace, analyzed: Bool) throws(DSLError) -> Architecture {
    let file = space.file
    if let d = space.decisions.first {
      let location = choiceLocation(space, d) ?? SourceLocation(file: file, line: 1, column: 1)
      throw DSLError(
        .choiceInArchitecture, at: location, "an architecture cannot hold alternatives ('\(d.name)' has \(d.count))",
        hint: "fix one value, or load the file as a .space")
    }
    if !analyzed { _ = try space.analyze() }
    do {
      return try space.fixedArchitecture()
    } catch {
      if case .unresolvable(let e) = error { throw e }
      throw DSLError(.impossibleShape, at: SourceLocation(file: file, line: 1, column: 1), error.description)
    }
  }

  /// Reads and parses a `.space` file.
  public static func loadSpace(path: String) throws(DSLError) -> SearchSpace {
    try parseSpace(try read(path), file: path)
  }

  /// Reads and parses an `.arch` file.
  public static func loadArchitecture(path: String) throws(DSLError) -> Architecture {
    try parseArchitecture(try read(path), file: path)
  }

  static func read(_ path: String) throws(DSLError) -> String {
    let location = SourceLocation(file: path, line: 1, column: 1)
    guard FileManager.default.fileExists(atPath: path) else {
      throw DSLError(.io, at: location, "no such file")
    }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw DSLError(.io, at: location, "cannot read the file (is it a directory or unreadable?)")
    }
    guard let text = String(data: data, encoding: .utf8) else {
      throw DSLError(.io, at: location, "the file is not UTF-8 text")
    }
    return text
  }

  private static func choiceLocation(_ space: SearchSpace, _ d: Decision) -> SourceLocation? {
    switch d.target {
    case .inputSize: return space.inputSize.location
    case .resolution: return space.resolution.location
    case .width: return space.width.location
    case .stride(let t): return space.templates[t].stride.location
    case .widthFactor(let t): return space.templates[t].widthFactor.location
    case .depth(let t): return space.templates[t].depthDelta.location
    case .layer(let t, _, let a):
      let tp = space.templates[t]
      switch a {
      case .op: return tp.op.location
      case .k: return tp.kernel.location
      case .expand: return tp.expand?.location
      case .mid: return tp.mid?.location
      case .se: return tp.seRatio?.location
      case .seCh: return tp.seChannels?.location
      case .seGate: return tp.seGate.location
      case .act: return tp.activation.location
      case .pwAct: return tp.pwActivation.location
      case .skip: return tp.skip.location
      }
    }
  }
}
