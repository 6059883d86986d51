import NASArch

extension SearchSpace {
  /// The exact smallest and largest total of an additive per-unit cost over every
  /// architecture of the space (for example predicted latency, or MACs), found by the same
  /// walk over templates and input shapes as ``analyze()`` without enumerating architectures.
  public func extremes(of cost: (UnitConfiguration) throws -> Double) throws -> (min: Double, max: Double) {
    var low = Double.infinity, high = -Double.infinity
    for g in try globalsList() {
      var states: [Shape: (lo: Double, hi: Double)] = [Shape(square: g.inputSize, channels: inputChannels): (0, 0)]
      for t in templates {
        var next: [Shape: (lo: Double, hi: Double)] = [:]
        for (shape, range) in states {
          for (out, r) in try blockCostRange(t, input: shape, globals: g, cost: cost) {
            let lo = range.lo + r.lo, hi = range.hi + r.hi
            let old = next[out] ?? (Double.infinity, -Double.infinity)
            next[out] = (min(old.0, lo), max(old.1, hi))
          }
        }
        states = next
      }
      for r in states.values {
        low = min(low, r.lo)
        high = max(high, r.hi)
      }
    }
    return (low, high)
  }

  private func blockCostRange(
    _ t: UnitTemplate, input: Shape, globals g: ResolvedGlobals, cost: (UnitConfiguration) throws -> Double
  ) throws -> [Shape: (lo: Double, hi: Double)] {
    var result: [Shape: (lo: Double, hi: Double)] = [:]
    func merge(_ out: Shape, _ lo: Double, _ hi: Double) {
      let old = result[out] ?? (Double.infinity, -Double.infinity)
      result[out] = (min(old.0, lo), max(old.1, hi))
    }
    let picks = layerPicks(t)
    for stride in t.stride.values {
      for factor in t.widthFactor.values {
        for depth in t.depthDelta.values {
          if t.perLayer {
            // Layers choose independently: per layer, the cheapest and dearest alternative.
            var shape = input
            var lo = 0.0, hi = 0.0
            for i in 0..<layerCount(t, depthDelta: depth) {
              var layerLo = Double.infinity, layerHi = -Double.infinity
              var output = shape
              for lp in picks {
                let p = try resolveLayer(t, pick: lp, index: i, blockStride: stride, widthFactor: factor, input: shape, globals: g, unitIndex: i)
                let c = try cost(UnitConfiguration(unit: p.unit, input: p.input))
                layerLo = min(layerLo, c)
                layerHi = max(layerHi, c)
                output = p.output
              }
              lo += layerLo
              hi += layerHi
              shape = output
            }
            merge(shape, lo, hi)
          } else {
            for lp in picks {
              let placed = try resolveBlock(
                t, pick: BlockPick(stride: stride, widthFactor: factor, depthDelta: depth, layers: [lp]), input: input, globals: g,
                firstUnitIndex: 0)
              let c = try placed.reduce(0.0) { $0 + (try cost(UnitConfiguration(unit: $1.unit, input: $1.input))) }
              merge(placed.last?.output ?? input, c, c)
            }
          }
        }
      }
    }
    return result
  }
}
