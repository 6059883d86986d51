import Foundation

/// Parses and prints durations as users write them: `90s`, `10m`, `1h30m`, `2h`, `45` (seconds).
public enum DurationText {
  /// Seconds, or nil when the text is not a duration.
  public static func seconds(_ text: String) -> Double? {
    let t = text.trimmingCharacters(in: .whitespaces).lowercased()
    guard !t.isEmpty else { return nil }
    if let plain = Double(t) { return plain > 0 && plain.isFinite ? plain : nil }
    var total = 0.0
    var number = ""
    var sawUnit = false
    for ch in t {
      if ch.isNumber || ch == "." {
        number.append(ch)
        continue
      }
      guard let value = Double(number) else { return nil }
      switch ch {
      case "h": total += value * 3600
      case "m": total += value * 60
      case "s": total += value
      default: return nil
      }
      number = ""
      sawUnit = true
    }
    guard number.isEmpty, sawUnit, total > 0, total.isFinite else { return nil }
    return total
  }
}
