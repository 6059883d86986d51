import NASArch

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
  ///
  /// Global alternatives are not multiplied out. Units do not depend on the input size (only
  /// their input maps do), so the count for one width is the same at every input size, and
  /// the size is (input sizes × resolutions) × the sum over widths. Whether a shape is
  /// possible is monotone in the input size (a stride collapses the smallest maps first; the
  /// largest maps are the ones too large to count), so each width is walked at the smallest
  /// and the largest input only.
  public func analyze() throws(DSLError) -> SpaceAnalysis {
    if let analysisCache { return analysisCache }
    let axes = try globalAxes()
    let positions = layerPositions()
    var log = WalkLog()
    var perSize = BigCount.zero
    if let smallest = axes.inputSizes.min(), let largest = axes.inputSizes.max() {
      for w in axes.widths {
        log.recording = true
        perSize = perSize + (try walk(inputSize: smallest, width: w, positions: positions.first, log: &log))
        if largest != smallest {
          log.recording = false
          _ = try walk(inputSize: largest, width: w, positions: positions.first, log: &log)
        }
      }
    }
    return SpaceAnalysis(
      size: perSize * BigCount(axes.inputSizes.count), unitsAt: log.unitsAt,
      spatialAt: spatialInputs(inputSizes: axes.inputSizes, positions: positions), resolvedUnits: log.resolvedUnits)
  }

  /// The number of distinct networks for one resolved input size and width multiplier; when
  /// `log.recording`, adds every (unit, input channels) met at its layer position.
  private func walk(
    inputSize: Int, width: Double, positions: [Int], log: inout WalkLog
  ) throws(DSLError) -> BigCount {
    let g = ResolvedGlobals(inputSize: inputSize, width: width)
    var states: [Shape: BigCount] = [Shape(square: g.inputSize, channels: inputChannels): BigCount(1)]
    for (ti, t) in templates.enumerated() {
      var next: [Shape: BigCount] = [:]
      for (shape, count) in states.sorted(by: { $0.key.channels < $1.key.channels }) {
        let transitions = try self.transitions(t, input: shape, globals: g, position: positions[ti], log: &log)
        for (out, n) in transitions {
          next[out, default: .zero] = next[out, default: .zero] + count * n
        }
      }
      states = next
    }
    return states.values.reduce(BigCount.zero, +)
  }

  /// The exact number of distinct architectures (see ``analyze()``).
  public func size() throws(DSLError) -> BigCount { try analyze().size }

  /// Every distinct unit configuration (unit + input shape) the space can produce.
  public func unitConfigurations() throws(DSLError) -> Set<UnitConfiguration> { try analyze().unitConfigurations }

  /// For one template on one input: the number of distinct unit sequences per output shape.
  private func transitions(
    _ t: UnitTemplate, input: Shape, globals g: ResolvedGlobals, position: Int, log: inout WalkLog
  ) throws(DSLError) -> [Shape: BigCount] {
    func record(_ p: PlacedUnit, layer: Int) {
      log.resolvedUnits += 1
      guard log.recording else { return }
      log.unitsAt[ChannelUnit(unit: p.unit, inChannels: p.input.channels), default: []].insert(position + layer)
    }
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
              for (i, p) in placed.enumerated() { record(p, layer: i) }
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
              record(p, layer: i)
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

/// What the walks over templates collect besides the count.
struct WalkLog {
  /// Whether to record units (the walk at the largest input only validates).
  var recording = true
  var unitsAt: [ChannelUnit: Set<Int>] = [:]
  /// Units resolved, all walks together: a deterministic measure of the work, for tests.
  var resolvedUnits = 0
}
