import NASArch
import NASTrain

/// Carries trained weights from a network to a narrower one with the same layer structure,
/// NetAdapt's "which filters go": the filters with the smallest L2 norm are removed and the
/// survivors keep their values, together with the next layers' matching input channels and
/// every batch-norm statistic.
///
/// The surgery works on the lowering (`Unit.segments`), so it needs no knowledge of unit
/// kinds: a non-depthwise convolution whose output count changes *produces* the pruned width
/// (several do for a residual chain: one per unit, and their norms are summed so the chain
/// keeps the same channels everywhere); a depthwise convolution, squeeze-excite, pooling and
/// a residual pass their input's surviving channels on; convolutions and the classifier drop
/// the input channels that no longer exist. A squeeze-excite whose squeeze width shrinks (it
/// never exceeds the channels it gates) keeps its reduce filters of largest norm.
public enum ChannelSurgery {
  /// Which channels survive: the pruned width's kept channels (ascending indices into the old
  /// width), and per layer prefix (`units.3.layers.1`) the kept output channels of every layer
  /// whose output narrows (producers and the depthwise layers and squeeze-excites after them).
  public struct Plan: Sendable, Equatable {
    public var kept: [Int]
    public var outputs: [String: [Int]]
    /// Kept squeeze channels of squeeze-excites whose squeeze width shrinks.
    public var squeeze: [String: [Int]]
  }

  /// Whether `a` and `b` lower to the same layers apart from channel counts (the condition
  /// for carrying weights from one to the other).
  public static func sameStructure(_ a: Architecture, _ b: Architecture) -> Bool {
    guard let pa = a.placedUnitsIfValid, let pb = b.placedUnitsIfValid, pa.count == pb.count else { return false }
    for (x, y) in zip(pa, pb) {
      guard x.segments.count == y.segments.count else { return false }
      for (sx, sy) in zip(x.segments, y.segments) {
        guard sx.residual == sy.residual, sx.layers.count == sy.layers.count else { return false }
        for (lx, ly) in zip(sx.layers, sy.layers) where kind(lx.layer) != kind(ly.layer) { return false }
      }
    }
    return true
  }

  static func kind(_ l: Layer) -> String {
    switch l {
    case .conv(let c): return "conv k\(c.kernel) s\(c.stride) \(c.groups > 1 ? "dw" : "full") \(c.normalization)"
    case .squeezeExcite: return "se"
    case .globalAveragePool: return "pool"
    case .linear(let l): return "fc \(l.normalizationBefore.map { "\($0)" } ?? "-")"
    }
  }

  /// Works out which channels survive when `weights` (for `old`) move to `new`.
  public static func plan(_ weights: WeightSet, from old: Architecture, to new: Architecture) throws(NetAdaptError) -> Plan {
    let (po, pn) = try placed(old, new)
    // The producers of the changed width, and their summed filter norms.
    var norms: [Double]? = nil
    var counts: (old: Int, new: Int)? = nil
    for (uo, un) in zip(po, pn) {
      for (i, (lo, ln)) in zip(uo.layers, un.layers).enumerated() {
        guard case .conv(let co) = lo.layer, case .conv(let cn) = ln.layer, co.groups == 1, co.outChannels != cn.outChannels else {
          continue
        }
        if let c = counts, c != (co.outChannels, cn.outChannels) {
          throw .surgery("more than one width changes (units \(uo.index): \(co.outChannels)→\(cn.outChannels), expected \(c.old)→\(c.new))")
        }
        counts = (co.outChannels, cn.outChannels)
        let name = "units.\(uo.index).layers.\(i).conv.weight"
        guard let w = weights[name] else { throw .surgery("tensor \(name) is missing") }
        let n = w.sliceNorms(axis: 0)
        norms = norms.map { zip($0, n).map { $0 + $1 } } ?? n
      }
    }
    var plan = Plan(kept: [], outputs: [:], squeeze: [:])
    if let norms, let counts {
      guard counts.new > 0, counts.new < counts.old else { throw .surgery("a width grows (\(counts.old)→\(counts.new)); NetAdapt only shrinks") }
      plan.kept = largest(norms, count: counts.new)
    }
    var keep: [Int]? = nil
    for (uo, un) in zip(po, pn) {
      var index = 0
      for (so, sn) in zip(uo.segments, un.segments) {
        let segmentInput = keep
        for (lo, ln) in zip(so.layers, sn.layers) {
          let prefix = "units.\(uo.index).layers.\(index)"
          index += 1
          switch (lo.layer, ln.layer) {
          case (.conv(let co), .conv(let cn)):
            if co.groups > 1 {
              guard (keep?.count ?? co.outChannels) == cn.outChannels else {
                throw .surgery("\(prefix): depthwise channels \(cn.outChannels) do not follow the input's \(keep?.count ?? co.outChannels)")
              }
            } else {
              keep = co.outChannels == cn.outChannels ? nil : plan.kept
            }
            if let keep { plan.outputs[prefix] = keep }
          case (.squeezeExcite(let so), .squeezeExcite(let sn)):
            if let keep { plan.outputs[prefix] = keep }
            if so.squeezeChannels != sn.squeezeChannels {
              let name = prefix + ".se.reduce.weight"
              guard let w = weights[name] else { throw .surgery("tensor \(name) is missing") }
              plan.squeeze[prefix] = largest(w.sliceNorms(axis: 0), count: sn.squeezeChannels)
            }
          case (.globalAveragePool, .globalAveragePool), (.linear, .linear):
            break
          default:
            throw .surgery("unit \(uo.index) lowers to different layers")
          }
        }
        if so.residual && segmentInput != keep {
          throw .surgery("unit \(uo.index): the residual's input and output keep different channels")
        }
      }
    }
    return plan
  }

  /// `weights` of `old`'s network moved to `new`'s (same tensor names, narrower shapes).
  public static func shrink(_ weights: WeightSet, from old: Architecture, to new: Architecture) throws(NetAdaptError) -> WeightSet {
    let p = try plan(weights, from: old, to: new)
    let (po, pn) = try placed(old, new)
    var byName: [String: NamedTensor] = [:]
    for t in weights.tensors { byName[t.name] = t }
    func edit(_ name: String, _ selections: [(indices: [Int]?, axis: Int)]) throws(NetAdaptError) {
      guard var t = byName[name] else { throw .surgery("tensor \(name) is missing") }
      for (indices, axis) in selections {
        guard let indices else { continue }
        guard let s = t.selecting(indices, axis: axis) else { throw .surgery("\(name) \(t.shape) has no channels \(indices.max() ?? 0) on axis \(axis)") }
        t = s
      }
      byName[name] = t
    }
    func norm(_ prefix: String, _ keep: [Int]?) throws(NetAdaptError) {
      for part in ["weight", "bias", "running_mean", "running_var"] where byName["\(prefix).bn.\(part)"] != nil {
        try edit("\(prefix).bn.\(part)", [(keep, 0)])
      }
    }
    var keep: [Int]? = nil
    for (uo, un) in zip(po, pn) {
      for (i, (lo, _)) in zip(uo.layers, un.layers).enumerated() {
        let prefix = "units.\(uo.index).layers.\(i)"
        switch lo.layer {
        case .conv(let c):
          let out = p.outputs[prefix]
          if c.groups > 1 {
            try edit(prefix + ".conv.weight", [(out, 0)])
          } else {
            try edit(prefix + ".conv.weight", [(out, 0), (keep, 1)])
          }
          if byName[prefix + ".conv.bias"] != nil { try edit(prefix + ".conv.bias", [(out, 0)]) }
          try norm(prefix, out)
          keep = out
        case .squeezeExcite:
          let s = p.squeeze[prefix]
          try edit(prefix + ".se.reduce.weight", [(s, 0), (keep, 1)])
          try edit(prefix + ".se.reduce.bias", [(s, 0)])
          try edit(prefix + ".se.expand.weight", [(keep, 0), (s, 1)])
          try edit(prefix + ".se.expand.bias", [(keep, 0)])
        case .globalAveragePool:
          break
        case .linear:
          try edit(prefix + ".fc.weight", [(keep, 1)])
          try norm(prefix, keep)
        }
      }
    }
    var metadata = weights.metadata
    metadata[WeightSet.architectureHashKey] = new.canonicalHash
    metadata[WeightSet.architectureTextKey] = new.canonicalText()
    return WeightSet(tensors: weights.tensors.map { byName[$0.name]! }, metadata: metadata)
  }

  static func placed(_ old: Architecture, _ new: Architecture) throws(NetAdaptError) -> ([PlacedUnit], [PlacedUnit]) {
    guard sameStructure(old, new), let po = old.placedUnitsIfValid, let pn = new.placedUnitsIfValid else {
      throw .surgery("the two architectures do not lower to the same layers")
    }
    return (po, pn)
  }

  /// Indices of the `count` largest values (ties to the lower index), ascending.
  static func largest(_ values: [Double], count: Int) -> [Int] {
    values.indices.sorted { values[$0] != values[$1] ? values[$0] > values[$1] : $0 < $1 }.prefix(count).sorted()
  }
}
