import NASArch
import NASStore
import NASSpace
import NASSupport

/// What `nas bench` measures: every distinct unit configuration of the given spaces and
/// reference networks (the grid), configurations between the grid from shrunk networks
/// (channel counts NetAdapt produces), and whole networks to fit the overhead term on.
public struct BenchPlan: Sendable {
  public struct Item: Sendable, Hashable {
    public var configuration: UnitConfiguration
    public var source: SampleSource
    public var key: String
  }

  public var items: [Item]
  public var networks: [Architecture]

  /// How many networks per space are sampled and shrunk for off-grid units and for fitting.
  public struct Options: Sendable {
    public var offGridNetworksPerSpace: Int
    public var fitNetworksPerSpace: Int
    public var seed: UInt64

    public init(offGridNetworksPerSpace: Int = 40, fitNetworksPerSpace: Int = 12, seed: UInt64 = 0xBE7C4) {
      self.offGridNetworksPerSpace = offGridNetworksPerSpace
      self.fitNetworksPerSpace = fitNetworksPerSpace
      self.seed = seed
    }
  }

  public init(items: [Item], networks: [Architecture]) {
    self.items = items
    self.networks = networks
  }

  /// Builds the plan; configurations are deduplicated on their normalised key.
  public static func make(spaces: [SearchSpace], references: [Architecture], options: Options = Options()) throws -> BenchPlan {
    var seen = Set<String>()
    var items: [Item] = []
    func add(_ unit: NASArch.Unit, _ input: Shape, _ source: SampleSource) {
      let c = UnitKey.normalized(unit, input: input)
      let key = UnitKey.text(c)
      if seen.insert(key).inserted { items.append(Item(configuration: c, source: source, key: key)) }
    }
    func addUnits(of arch: Architecture, _ source: SampleSource) throws {
      for p in try arch.placedUnits() { add(p.unit, p.input, source) }
    }
    for space in spaces {
      // Sorted so the plan (and the shuffle seeded from it) does not depend on hashing order.
      let grid = try space.unitConfigurations().map { UnitKey.normalized($0.unit, input: $0.input) }
      for c in grid.sorted(by: { UnitKey.text($0) < UnitKey.text($1) }) { add(c.unit, c.input, .grid) }
    }
    for arch in references { try addUnits(of: arch, .grid) }
    var networks = references
    var rng = SeededGenerator(seed: options.seed)
    let shrinker = ChannelShrinker()
    for space in spaces {
      for _ in 0..<options.offGridNetworksPerSpace {
        let shrunk = shrinker.shrink(try space.sample(using: &rng), using: &rng)
        try addUnits(of: shrunk, .offgrid)
      }
      for i in 0..<options.fitNetworksPerSpace {
        let arch = try space.sample(using: &rng)
        let network = i % 2 == 0 ? arch : shrinker.shrink(arch, using: &rng)
        try addUnits(of: network, i % 2 == 0 ? .grid : .offgrid)
        networks.append(network)
      }
    }
    return BenchPlan(items: items, networks: networks)
  }
}
