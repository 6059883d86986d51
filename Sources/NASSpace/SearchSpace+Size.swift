import NASArch

/// A unit on a given input: the key of one latency-table entry.
public struct UnitConfiguration: Hashable, Codable, Sendable {
  public var unit: Unit
  public var input: Shape

  public init(unit: Unit, input: Shape) {
    self.unit = unit
    self.input = input
  }
}

extension SearchSpace {
  /// The exact number of distinct architectures the space holds, and every distinct unit
  /// configuration it can produce. Also validates the space: every combination of choices is
  /// resolved, so an impossible shape anywhere is reported at its statement.
  ///
  /// Distinct means distinct resolved networks: alternatives that resolve to the same units
  /// (a width factor that rounds to the same channels, a depth delta clamped at one layer, an
  /// expansion ratio on an op without expansion, skip where no residual fits) are counted once.
  /// Counting walks the templates keeping, for each reachable input shape, how many distinct
  /// prefixes reach it; block boundaries are taken as given by the templates, and different
  /// global settings (multipliers, input sizes) are counted as different networks.
  public func analyze() throws(DSLError) -> (size: BigCount, units: Set<UnitConfiguration>) {
    var total = BigCount.zero
    var configurations = Set<UnitConfiguration>()
    for g in try globalsList() {
      var states: [Shape: BigCount] = [Shape(square: g.inputSize, channels: inputChannels): BigCount(1)]
      for t in templates {
        var next: [Shape: BigCount] = [:]
        for (shape, count) in states.sorted(by: { $0.key.channels < $1.key.channels }) {
          let transitions = try self.transitions(t, input: shape, globals: g, configurations: &configurations)
          for (out, n) in transitions {
            next[out, default: .zero] = next[out, default: .zero] + count * n
          }
        }
        states = next
      }
      total = total + states.values.reduce(BigCount.zero, +)
    }
    return (total, configurations)
  }

  /// The exact number of distinct architectures (see ``analyze()``).
  public func size() throws(DSLError) -> BigCount { try analyze().size }

  /// Every distinct unit configuration (unit + input shape) the space can produce.
  public func unitConfigurations() throws(DSLError) -> Set<UnitConfiguration> { try analyze().units }

  /// For one template on one input: the number of distinct unit sequences per output shape.
  private func transitions(
    _ t: UnitTemplate, input: Shape, globals g: ResolvedGlobals, configurations: inout Set<UnitConfiguration>
  ) throws(DSLError) -> [Shape: BigCount] {
    let picks = layerPicks(t)
    var result: [Shape: BigCount] = [:]
    if !t.perLayer {
      var sequences: [Shape: Set<[Unit]>] = [:]
      for stride in t.stride.values {
        for factor in t.widthFactor.values {
          for depth in t.depthDelta.values {
            for lp in picks {
              let placed = try resolveBlock(
                t, pick: BlockPick(stride: stride, widthFactor: factor, depthDelta: depth, layers: [lp]), input: input,
                globals: g, firstUnitIndex: 0)
              for p in placed { configurations.insert(UnitConfiguration(unit: p.unit, input: p.input)) }
              sequences[placed.last?.output ?? input, default: []].insert(placed.map(\.unit))
            }
          }
        }
      }
      for (shape, set) in sequences { result[shape] = BigCount(set.count) }
      return result
    }
    // Per-layer choices: layers pick independently, so count per layer and multiply.
    var seenShapes = Set<[Int]>()
    for stride in t.stride.values {
      for factor in t.widthFactor.values {
        for depth in t.depthDelta.values {
          let count = layerCount(t, depthDelta: depth)
          var shape = input
          var product = BigCount(1)
          for i in 0..<count {
            var distinct = Set<Unit>()
            var output = shape
            for lp in picks {
              let p = try resolveLayer(
                t, pick: lp, index: i, blockStride: stride, widthFactor: factor, input: shape, globals: g, unitIndex: i)
              configurations.insert(UnitConfiguration(unit: p.unit, input: p.input))
              distinct.insert(p.unit)
              output = p.output
            }
            product = product * BigCount(distinct.count)
            shape = output
          }
          // Block-level combinations that agree on depth, stride and resolved width give the
          // same sequences (width factors can round to the same channels).
          let key = [count, stride, scaled(t.out ?? input.channels, template: t, widthFactor: factor, globals: g)]
          if seenShapes.insert(key).inserted {
            result[shape, default: .zero] = result[shape, default: .zero] + product
          }
        }
      }
    }
    if t.skip.isFixed, t.skip.first {
      // Checked per block in resolveBlock for shared choices; per-layer templates check here.
      _ = try resolveBlock(
        t,
        pick: BlockPick(
          stride: t.stride.first, widthFactor: t.widthFactor.first, depthDelta: t.depthDelta.first, layers: [picks[0]]),
        input: input, globals: g, firstUnitIndex: 0)
    }
    return result
  }
}
