import NASArch
import NASSupport

/// Random channel counts off the choice grid, as NetAdapt produces them: every width an
/// architecture lets shrink (an expansion, or an output width shared by a chain of residual
/// units) set to a random multiple of the divisor at or below its current value.
///
/// The layer structure is kept: an `mbconv` without an expansion convolution keeps none (its
/// `mid` follows its input) and one with an expansion keeps it; squeeze-excite never gets
/// wider than the channels it gates.
public struct ChannelShrinker: Sendable {
  public var divisor: Int
  /// The smallest fraction of a width that may be drawn.
  public var minimumFraction: Double

  public init(divisor: Int = 8, minimumFraction: Double = 0.3) {
    self.divisor = divisor
    self.minimumFraction = minimumFraction
  }

  func draw(_ c: Int, _ rng: inout SeededGenerator) -> Int {
    let top = max(divisor, c / divisor * divisor)
    let bottom = min(top, max(divisor, Int((Double(c) * minimumFraction / Double(divisor)).rounded(.up)) * divisor))
    let steps = (top - bottom) / divisor + 1
    return bottom + divisor * rng.uniform(below: steps)
  }

  /// A shrunk copy of `arch`; the classifier and pooling are untouched.
  public func shrink(_ arch: Architecture, using rng: inout SeededGenerator) -> Architecture {
    var units = arch.units
    // Output widths: a producing unit and the residual (or RepViT) units after it share one.
    var i = 0
    while i < units.count {
      guard [.conv, .sepconv, .mbconv, .repvitDown].contains(units[i].op) else { i += 1; continue }
      let width = draw(units[i].outChannels, &rng)
      units[i].outChannels = width
      var j = i + 1
      while j < units.count, units[j].residual || units[j].op == .repvit {
        units[j].outChannels = width
        j += 1
      }
      i = j
    }
    // Expansions, with the (already shrunk) inputs known.
    var inChannels = arch.inputChannels
    var originalIn = arch.inputChannels
    for k in units.indices {
      let original = arch.units[k]
      switch units[k].op {
      case .mbconv:
        let oldMid = original.midChannels ?? originalIn
        if oldMid == originalIn {
          units[k].midChannels = inChannels
        } else {
          var mid = draw(oldMid, &rng)
          if mid == inChannels { mid += divisor }
          units[k].midChannels = mid
        }
        if var se = units[k].squeezeExcite {
          se.squeezeChannels = min(se.squeezeChannels, units[k].midChannels ?? inChannels)
          units[k].squeezeExcite = se
        }
      case .repvit, .repvitDown:
        let oldC = units[k].op == .repvit ? originalIn : original.outChannels
        units[k].midChannels = draw(original.midChannels ?? 2 * oldC, &rng)
        if var se = units[k].squeezeExcite {
          se.squeezeChannels = min(se.squeezeChannels, inChannels)
          units[k].squeezeExcite = se
        }
      case .conv, .sepconv:
        if var se = units[k].squeezeExcite {
          se.squeezeChannels = min(se.squeezeChannels, units[k].op == .conv ? units[k].outChannels : inChannels)
          units[k].squeezeExcite = se
        }
      case .pool, .classifier:
        break
      }
      inChannels = units[k].outputChannels(inChannels: inChannels)
      originalIn = original.outputChannels(inChannels: originalIn)
    }
    var copy = arch
    copy.units = units
    copy.name = arch.name.map { $0 + "-shrunk" }
    return copy
  }
}
