import NASArch

/// One NetAdapt proposal: a prunable width cut to the largest channel count (on the divisor)
/// whose predicted latency meets the iteration's reduction.
public struct Proposal: Codable, Hashable, Sendable {
  public var width: PrunableWidth
  public var channelsAfter: Int
  public var architecture: Architecture
  public var predictedMs: Double

  public var channelsBefore: Int { width.channels }
  /// `units 3-4 out 32→24`, `unit 7 mid 240→192`.
  public var label: String { "\(width)→\(channelsAfter)" }
  /// A stable key of the cut within an iteration (what resume matches on).
  public var key: String { "\(width.kind.rawValue) \(width.units.first ?? 0) \(channelsAfter)" }
}

/// Generates an iteration's proposals (MobileNetV3's two types, plus the stem, head and plain
/// convolutions where the architecture has them, see ``PrunableWidth``).
public struct ProposalGenerator: Sendable {
  /// Channel counts are multiples of this (the space's divisor, 8 in every shipped network).
  public var divisor: Int

  public init(divisor: Int = 8) {
    self.divisor = max(1, divisor)
  }

  /// `width` set to `channels` in `arch`. An output width also carries along the expansion of
  /// any `mbconv` that has none (its `mid` equals its input, as in MobileNetV2's first block),
  /// so the shrink keeps that block's layers instead of creating an expansion convolution.
  public func apply(_ width: PrunableWidth, channels: Int, to arch: Architecture) -> Architecture {
    var result = width.applied(to: arch, channels: channels)
    guard width.kind == .width, let last = width.units.last else { return result }
    // Units reading the width: the chain's residual units and the one after the chain.
    for u in width.units.dropFirst() + [last + 1] where u < arch.units.count {
      let unit = arch.units[u]
      guard unit.op == .mbconv, unit.midChannels == width.channels else { continue }
      result.units[u].midChannels = channels
      if var se = result.units[u].squeezeExcite {
        se.squeezeChannels = min(se.squeezeChannels, channels)
        result.units[u].squeezeExcite = se
      }
    }
    return result
  }

  /// The proposals for `arch` (predicted at `currentMs`) that each remove at least `reduction`
  /// milliseconds: for each prunable width, the largest count below the current one that does,
  /// keeping the layer structure. Widths that cannot meet it at any count are left out.
  public func proposals(
    for arch: Architecture, currentMs: Double, reduction: Double, predict: (Architecture) throws -> Double
  ) throws -> [Proposal] {
    let goal = currentMs - reduction
    var result: [Proposal] = []
    for width in PrunableWidth.all(in: arch) {
      for count in width.smallerCounts(divisor: divisor) {
        let candidate = apply(width, channels: count, to: arch)
        guard ChannelSurgery.sameStructure(arch, candidate) else { continue }
        let ms = try predict(candidate)
        if ms <= goal {
          result.append(Proposal(width: width, channelsAfter: count, architecture: candidate, predictedMs: ms))
          break
        }
      }
    }
    return result
  }
}
