import Foundation
import NASArch
import NASSpace

/// The latency-table key of a unit on an input: the unit with everything that does not change
/// its inference cost normalised away, and a one-line text form used in CSV files and the
/// database (`mbconv k=5 s=2 mid=72 out=40 se-ch=24 se-gate=hsigmoid se-act=relu act=relu @ 56x56x24`).
///
/// Normalised: the role (stem, block, head), dropout, and the normalisation (batch norm is
/// folded, so a convolution always has a bias); implicit widths are made explicit (`mid` of an
/// `mbconv` defaults to its input, the RepViT FFN to twice its channels); fields an op ignores
/// are cleared.
public enum UnitKey {
  /// The normalised configuration.
  public static func normalized(_ unit: NASArch.Unit, input: Shape) -> UnitConfiguration {
    var u = unit
    u.role = .block
    u.dropout = 0
    u.normalization = .batchNorm
    switch u.op {
    case .pool:
      u = Unit(role: .block, op: .pool)
    case .classifier:
      u = Unit(role: .block, op: .classifier, outChannels: unit.outChannels)
    case .conv:
      u.midChannels = nil
      u.pwActivation = .none
    case .sepconv:
      u.midChannels = nil
    case .mbconv:
      u.midChannels = unit.midChannels ?? input.channels
      u.pwActivation = .none
    case .repvit:
      u.midChannels = unit.midChannels ?? 2 * input.channels
      u.activation = .none
      u.pwActivation = .none
      u.stride = 1
      u.outChannels = input.channels
      u.residual = false
    case .repvitDown:
      u.midChannels = unit.midChannels ?? 2 * unit.outChannels
      u.activation = .none
      u.pwActivation = .none
      u.residual = false
    }
    return UnitConfiguration(unit: u, input: input)
  }

  /// The text form of a unit on an input (normalised first).
  public static func text(unit: NASArch.Unit, input: Shape) -> String {
    text(normalized(unit, input: input))
  }

  /// The text form of a normalised configuration: the DSL's canonical line of the unit without
  /// its role (a classifier also names its outputs, which the DSL takes from `classes`), then
  /// `@ HxWxC`.
  public static func text(_ c: UnitConfiguration) -> String {
    let u = c.unit
    let line: String
    switch u.op {
    case .pool: line = "pool"
    case .classifier: line = "classifier out=\(u.outChannels)"
    default: line = String(Architecture.canonicalLine(u).dropFirst(u.role.rawValue.count + 1))
    }
    return line + " @ \(c.input.height)x\(c.input.width)x\(c.input.channels)"
  }

  /// Reads the text form back (normalised), through the DSL's parser.
  public static func parse(_ text: String) throws(LatencyError) -> UnitConfiguration {
    let halves = text.split(separator: "@", omittingEmptySubsequences: false)
    guard halves.count == 2 else { throw .badUnit(text: text, reason: "expected 'UNIT @ HxWxC'") }
    let dims = halves[1].trimmingCharacters(in: .whitespaces).split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
    guard dims.count == 3, let h = dims[0], let w = dims[1], let c = dims[2], h >= 1, w >= 1, c >= 1 else {
      throw .badUnit(text: text, reason: "the input shape must be HxWxC with positive sizes")
    }
    let input = Shape(height: h, width: w, channels: c)
    let line = halves[0].trimmingCharacters(in: .whitespaces)
    let words = line.split(separator: " ").map(String.init)
    switch words.first {
    case "pool" where words.count == 1:
      return normalized(Unit(role: .block, op: .pool), input: input)
    case "classifier":
      guard words.count == 2, words[1].hasPrefix("out="), let out = Int(words[1].dropFirst(4)), out >= 1 else {
        throw .badUnit(text: text, reason: "a classifier is written 'classifier out=N'")
      }
      return normalized(Unit(role: .block, op: .classifier, outChannels: out), input: input)
    default:
      do {
        return normalized(try DSL.parseUnit(line, input: input), input: input)
      } catch {
        throw .badUnit(text: text, reason: error.message + (error.hint.map { " (\($0))" } ?? ""))
      }
    }
  }
}
