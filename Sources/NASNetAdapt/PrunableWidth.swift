import NASArch

/// A width NetAdapt may shrink, with every unit that must change with it.
///
/// Two kinds, as MobileNetV3's NetAdapt: the expansion (`mid`) of one unit, which nothing
/// else sees; and an output width shared by a chain of units joined by identity residuals
/// (a residual needs equal input and output channels, so the whole chain shrinks together).
/// Stem, head and plain convolutions are output widths of their own.
public struct PrunableWidth: Hashable, Codable, Sendable, CustomStringConvertible {
  public enum Kind: String, Codable, Sendable {
    /// The expanded channels of an `mbconv`, or the FFN hidden channels of a RepViT unit.
    case expansion
    /// The output channels of `units[0]`, shared by the residual units after it.
    case width
  }

  public var kind: Kind
  /// The units that change; for `.width` the first produces the width, the rest keep it.
  public var units: [Int]
  public var channels: Int

  /// `unit 7 mid 240`, `units 3-5 out 40`.
  public var description: String {
    let where_ = units.count == 1 ? "unit \(units[0])" : "units \(units.first!)-\(units.last!)"
    return "\(where_) \(kind == .expansion ? "mid" : "out") \(channels)"
  }

  /// Every width of `arch` that can shrink: expansions, then residual chains and lone outputs.
  /// The classifier's outputs (the classes) and pooling never shrink.
  public static func all(in arch: Architecture) -> [PrunableWidth] {
    var result: [PrunableWidth] = []
    let units = arch.units
    for (i, u) in units.enumerated() {
      if let mid = u.midChannels, u.op == .mbconv || u.op == .repvit || u.op == .repvitDown {
        result.append(PrunableWidth(kind: .expansion, units: [i], channels: mid))
      }
    }
    var i = 0
    while i < units.count {
      let u = units[i]
      let producesWidth = [.conv, .sepconv, .mbconv, .repvitDown].contains(u.op)
      guard producesWidth else { i += 1; continue }
      var chain = [i]
      var j = i + 1
      // Units after it that keep the width: identity residuals, and RepViT blocks (which keep
      // their channels by construction). Pooling passes the width on to the pooled head.
      while j < units.count, units[j].residual || units[j].op == .repvit {
        chain.append(j)
        j += 1
      }
      result.append(PrunableWidth(kind: .width, units: chain, channels: u.outChannels))
      i = j
    }
    return result
  }

  /// `arch` with this width set to `newChannels` (everything else unchanged).
  public func applied(to arch: Architecture, channels newChannels: Int) -> Architecture {
    var copy = arch
    switch kind {
    case .expansion:
      copy.units[units[0]].midChannels = newChannels
      if var se = copy.units[units[0]].squeezeExcite, copy.units[units[0]].op == .mbconv {
        se.squeezeChannels = min(se.squeezeChannels, newChannels)
        copy.units[units[0]].squeezeExcite = se
      }
    case .width:
      for u in units { copy.units[u].outChannels = newChannels }
    }
    return copy
  }

  /// Whether setting this width to `newChannels` keeps every unit's layer structure: an
  /// `mbconv` whose expansion equals its input has no expansion conv, so a count that makes
  /// them equal would drop a layer and its weights instead of shrinking them.
  public func keepsStructure(of arch: Architecture, channels newChannels: Int) -> Bool {
    let changed = applied(to: arch, channels: newChannels)
    var inChannels = arch.inputChannels
    var changedIn = changed.inputChannels
    for (old, new) in zip(arch.units, changed.units) {
      if old.op == .mbconv, new.op == .mbconv {
        let hadExpansion = (old.midChannels ?? inChannels) != inChannels
        let hasExpansion = (new.midChannels ?? changedIn) != changedIn
        if hadExpansion != hasExpansion { return false }
      }
      inChannels = old.outputChannels(inChannels: inChannels)
      changedIn = new.outputChannels(inChannels: changedIn)
    }
    return true
  }

  /// Channel counts below the current one on the divisor, largest first (never below it).
  public func smallerCounts(divisor: Int = 8) -> [Int] {
    let top = (channels - 1) / divisor * divisor
    return stride(from: top, through: divisor, by: -divisor).map { $0 }
  }
}
