import NASSupport

/// Regularized (aging) evolution (Real et al. 2019): a FIFO population of the last P
/// evaluated candidates; each child mutates one decision of the best of S drawn at random,
/// and the oldest member, not the worst, leaves.
public struct RegularizedEvolution: SearchStrategy {
  public struct Member: Codable, Hashable, Sendable {
    public var assignment: [Int]
    public var reward: Double
  }

  public var cardinalities: [Int]
  public var populationSize: Int
  public var sampleSize: Int
  public var population: [Member] = []
  /// Candidates asked but not yet told, oldest first.
  public var asked = 0
  public var rng: SeededGenerator

  public init(cardinalities: [Int], seed: UInt64, populationSize: Int, sampleSize: Int) {
    self.cardinalities = cardinalities
    self.populationSize = max(1, populationSize)
    self.sampleSize = min(max(1, sampleSize), max(1, populationSize))
    rng = SeededGenerator(seed: seed)
  }

  public mutating func ask() -> [Int] {
    defer { asked += 1 }
    // The first P candidates (counting those still in flight) are random.
    guard population.count >= populationSize || (asked >= populationSize && !population.isEmpty) else {
      return cardinalities.map { rng.uniform(below: $0) }
    }
    var best: Member?
    for _ in 0..<sampleSize {
      let m = population[rng.uniform(below: population.count)]
      if best == nil || m.reward > best!.reward { best = m }
    }
    return mutate(best!.assignment)
  }

  /// Changes one decision that has alternatives to a different alternative.
  public mutating func mutate(_ parent: [Int]) -> [Int] {
    let mutable = cardinalities.indices.filter { cardinalities[$0] > 1 }
    guard !mutable.isEmpty else { return parent }
    var child = parent
    let d = mutable[rng.uniform(below: mutable.count)]
    let shift = 1 + rng.uniform(below: cardinalities[d] - 1)
    child[d] = (parent[d] + shift) % cardinalities[d]
    return child
  }

  public mutating func tell(_ assignment: [Int], reward: Double) {
    population.append(Member(assignment: assignment, reward: reward))
    if population.count > populationSize { population.removeFirst() }
  }
}
