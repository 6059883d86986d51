import Foundation

/// Human-readable number formats shared by the commands.
public enum Format {
  /// `4,383,312`
  public static func grouped(_ value: Int) -> String {
    let digits = String(abs(value))
    var out = ""
    for (i, ch) in digits.reversed().enumerated() {
      if i > 0 && i % 3 == 0 { out.append(",") }
      out.append(ch)
    }
    return (value < 0 ? "-" : "") + String(out.reversed())
  }

  /// `314.42M`, `1.106G`, `12.3K`.
  public static func si(_ value: Double, digits: Int = 2) -> String {
    let a = abs(value)
    if a >= 1e9 { return String(format: "%.\(digits + 1)fG", value / 1e9) }
    if a >= 1e6 { return String(format: "%.\(digits)fM", value / 1e6) }
    if a >= 1e3 { return String(format: "%.\(digits)fK", value / 1e3) }
    return String(format: "%.0f", value)
  }

  /// Fixed decimals.
  public static func fixed(_ value: Double, _ decimals: Int) -> String {
    String(format: "%.\(decimals)f", value)
  }
}

/// The JSON `nas` prints and writes, in one style (docs/json.md).
public enum JSONOutput {
  /// The version of the `--json` documents' layout, in each as `format_version`; it changes when
  /// a key is renamed, removed or changes meaning (new keys do not change it).
  public static let formatVersion = 1

  /// A document for other programs (`--json`, the file a `cmd:` evaluator reads): snake_case
  /// keys with the unit in the name, sorted and indented, with `format_version` at the top.
  public static func document<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    return String(decoding: try encoder.encode(Versioned(value: value)), as: UTF8.self)
  }

  /// Keys exactly as given, sorted and indented: stored settings (a run's parameters, compared
  /// on resume) and the rows of SQL queries, whose names the database defines.
  public static func string<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
  }

  /// A value's own keys plus `format_version`, in one object.
  private struct Versioned<Value: Encodable>: Encodable {
    var value: Value
    enum Key: String, CodingKey { case formatVersion }
    func encode(to encoder: any Encoder) throws {
      try value.encode(to: encoder)
      var container = encoder.container(keyedBy: Key.self)
      try container.encode(JSONOutput.formatVersion, forKey: .formatVersion)
    }
  }
}
