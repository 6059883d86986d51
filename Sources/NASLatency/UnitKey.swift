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

  /// The text form of a normalised configuration.
  public static func text(_ c: UnitConfiguration) -> String {
    let u = c.unit
    var parts = [u.op.rawValue]
    switch u.op {
    case .pool:
      break
    case .classifier:
      parts.append("out=\(u.outChannels)")
    default:
      parts.append("k=\(u.kernel)")
      parts.append("s=\(u.stride)")
      if let mid = u.midChannels { parts.append("mid=\(mid)") }
      parts.append("out=\(u.outChannels)")
      if let se = u.squeezeExcite {
        parts.append("se-ch=\(se.squeezeChannels)")
        parts.append("se-gate=\(se.gate.rawValue)")
        parts.append("se-act=\(se.activation.rawValue)")
      }
      if u.op != .repvit && u.op != .repvitDown { parts.append("act=\(u.activation.rawValue)") }
      if u.pwActivation != .none { parts.append("pw-act=\(u.pwActivation.rawValue)") }
      if u.residual { parts.append("skip=identity") }
    }
    return parts.joined(separator: " ") + " @ " + "\(c.input.height)x\(c.input.width)x\(c.input.channels)"
  }

  /// Reads the text form back (normalised).
  public static func parse(_ text: String) throws(LatencyError) -> UnitConfiguration {
    let halves = text.split(separator: "@", omittingEmptySubsequences: false)
    guard halves.count == 2 else { throw .badUnit(text: text, reason: "expected 'UNIT @ HxWxC'") }
    let dims = halves[1].trimmingCharacters(in: .whitespaces).split(separator: "x").map { Int($0) }
    guard dims.count == 3, let h = dims[0], let w = dims[1], let c = dims[2], h >= 1, w >= 1, c >= 1 else {
      throw .badUnit(text: text, reason: "the input shape must be HxWxC with positive sizes")
    }
    let input = Shape(height: h, width: w, channels: c)
    let tokens = halves[0].split(separator: " ").map(String.init)
    guard let opWord = tokens.first, let op = UnitOp(rawValue: opWord) else {
      throw .badUnit(text: text, reason: "unknown op '\(tokens.first ?? "")' (expected one of \(UnitOp.allCases.map(\.rawValue).joined(separator: ", ")))")
    }
    var u = Unit(role: .block, op: op)
    var seCh: Int?, seGate = Activation.sigmoid, seAct = Activation.relu
    for token in tokens.dropFirst() {
      if token == "skip=identity" { u.residual = true; continue }
      let kv = token.split(separator: "=", maxSplits: 1).map(String.init)
      guard kv.count == 2 else { throw .badUnit(text: text, reason: "'\(token)' is not key=value") }
      func int() throws(LatencyError) -> Int {
        guard let v = Int(kv[1]), v >= 1 else { throw .badUnit(text: text, reason: "\(kv[0]) needs a positive integer") }
        return v
      }
      func act() throws(LatencyError) -> Activation {
        guard let a = Activation(rawValue: kv[1]) else { throw .badUnit(text: text, reason: "unknown activation '\(kv[1])'") }
        return a
      }
      switch kv[0] {
      case "k": u.kernel = try int()
      case "s": u.stride = try int()
      case "mid": u.midChannels = try int()
      case "out": u.outChannels = try int()
      case "se-ch": seCh = try int()
      case "se-gate": seGate = try act()
      case "se-act": seAct = try act()
      case "act": u.activation = try act()
      case "pw-act": u.pwActivation = try act()
      default: throw .badUnit(text: text, reason: "unknown field '\(kv[0])'")
      }
    }
    if let seCh { u.squeezeExcite = UnitSqueezeExcite(squeezeChannels: seCh, gate: seGate, activation: seAct) }
    if op == .repvit { u.outChannels = input.channels }
    do { _ = try u.place(input: input, index: 0) } catch { throw .badUnit(text: text, reason: error.detail) }
    return normalized(u, input: input)
  }
}
