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

/// Encodes values as pretty, key-sorted JSON for `--json` output.
public enum JSONOutput {
  public static func string<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
  }
}
