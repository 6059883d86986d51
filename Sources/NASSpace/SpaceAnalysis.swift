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

/// What loading a space computes once: its exact size and its distinct unit configurations.
///
/// Configurations are kept factored. A unit's fields and input channels depend only on the
/// width multiplier and the picks, the spatial size of its input only on the input size and
/// the strides before it, and every combination of the two is reachable; so for each layer
/// position the space records the set of (unit, input channels) over all widths and the set
/// of input sizes over all resolutions, and their product is that position's configurations.
/// Counting them this way costs the sum of the two sides, not their product.
public struct SpaceAnalysis: Sendable {
  /// The exact number of distinct architectures.
  public var size: BigCount
  /// The (unit, input channels) pairs found at each layer position.
  var unitsAt: [ChannelUnit: Set<Int>]
  /// The spatial input sizes each layer position sees.
  var spatialAt: [Set<SpatialSize>]
  /// Units resolved while analysing: the work, counted deterministically (tests check it is
  /// linear in the file and additive in the global alternatives).
  var resolvedUnits: Int

  /// The number of distinct unit configurations (latency-table entries), without listing them.
  public var distinctUnitConfigurations: Int {
    var count = 0
    for positions in unitsAt.values { count += spatialSizes(at: positions).count }
    return count
  }

  /// Every distinct unit configuration.
  public var unitConfigurations: Set<UnitConfiguration> {
    var out = Set<UnitConfiguration>()
    for (key, positions) in unitsAt {
      for s in spatialSizes(at: positions) {
        out.insert(UnitConfiguration(unit: key.unit, input: Shape(height: s.height, width: s.width, channels: key.inChannels)))
      }
    }
    return out
  }

  private func spatialSizes(at positions: Set<Int>) -> Set<SpatialSize> {
    if positions.count == 1, let p = positions.first { return spatialAt[p] }
    var union = Set<SpatialSize>()
    for p in positions { union.formUnion(spatialAt[p]) }
    return union
  }
}

/// A resolved unit with its input channels: a configuration without its spatial size.
struct ChannelUnit: Hashable, Sendable {
  var unit: Unit
  var inChannels: Int
}

/// The height and width of a feature map.
struct SpatialSize: Hashable, Sendable {
  var height: Int
  var width: Int

  /// The map after a layer of this stride ("same" padding, odd kernels: the kernel does not matter).
  func strided(_ stride: Int) -> SpatialSize {
    SpatialSize(
      height: Shape.convolved(height, kernel: 1, stride: stride), width: Shape.convolved(width, kernel: 1, stride: stride))
  }
}

extension SearchSpace {
  /// The first layer position of each template (a template has `maxRepeat` positions), and the total.
  func layerPositions() -> (first: [Int], count: Int) {
    var first: [Int] = []
    first.reserveCapacity(templates.count)
    var next = 0
    for t in templates {
      first.append(next)
      next += t.maxRepeat
    }
    return (first, next)
  }

  /// For each layer position, the spatial input sizes it sees over all resolved input sizes.
  /// Follows Unit+Lowering: a unit strides at most once, pooling and the classifier give 1x1,
  /// and every later layer of a block sees the block's strided output.
  func spatialInputs(inputSizes: [Int], positions: (first: [Int], count: Int)) -> [Set<SpatialSize>] {
    var at = [Set<SpatialSize>](repeating: [], count: positions.count)
    for size in Set(inputSizes) {
      var states: Set<SpatialSize> = [SpatialSize(height: size, width: size)]
      for (ti, t) in templates.enumerated() {
        let base = positions.first[ti]
        at[base].formUnion(states)
        if t.role == .classifier || t.op.values == [.pool] {
          states = [SpatialSize(height: 1, width: 1)]
          continue
        }
        var strided = Set<SpatialSize>()
        for s in states {
          for stride in t.stride.values { strided.insert(s.strided(stride)) }
        }
        for i in 1..<max(1, t.maxRepeat) { at[base + i].formUnion(strided) }
        states = strided
      }
    }
    return at
  }
}
