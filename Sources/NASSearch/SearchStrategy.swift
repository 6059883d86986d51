import NASSupport

/// How a search proposes candidates: an ask-and-tell interface over a space's decisions
/// (one categorical choice each, see `SearchSpace.decisions`).
///
/// Every strategy is deterministic for its seed: results are told back in the order the
/// candidates were asked (the search evaluates a batch of `--workers` candidates and reports
/// them in trial order), and its whole state, random generator included, is `Codable` so an
/// interrupted search resumes exactly where it stopped.
public protocol SearchStrategy: Codable, Sendable {
  /// The next candidate: one alternative index per decision.
  mutating func ask() -> [Int]
  /// The reward of the oldest candidate not yet told (failed evaluations are told 0).
  mutating func tell(_ assignment: [Int], reward: Double)
}

/// The strategies `nas search --strategy` offers.
public enum StrategyKind: String, CaseIterable, Codable, Sendable {
  case ppo, evolution, random
}

/// A strategy of any kind, stored as one value so the search can save and restore it.
public enum AnyStrategy: Codable, Sendable {
  case ppo(PPOController)
  case evolution(RegularizedEvolution)
  case random(RandomSearch)

  public init(kind: StrategyKind, cardinalities: [Int], seed: UInt64, options: StrategyOptions = StrategyOptions()) {
    switch kind {
    case .ppo: self = .ppo(PPOController(cardinalities: cardinalities, seed: seed, options: options))
    case .evolution:
      self = .evolution(
        RegularizedEvolution(
          cardinalities: cardinalities, seed: seed, populationSize: options.population, sampleSize: options.tournament))
    case .random: self = .random(RandomSearch(cardinalities: cardinalities, seed: seed))
    }
  }

  public var kind: StrategyKind {
    switch self {
    case .ppo: return .ppo
    case .evolution: return .evolution
    case .random: return .random
    }
  }

  public mutating func ask() -> [Int] {
    switch self {
    case .ppo(var s): let a = s.ask(); self = .ppo(s); return a
    case .evolution(var s): let a = s.ask(); self = .evolution(s); return a
    case .random(var s): let a = s.ask(); self = .random(s); return a
    }
  }

  public mutating func tell(_ assignment: [Int], reward: Double) {
    switch self {
    case .ppo(var s): s.tell(assignment, reward: reward); self = .ppo(s)
    case .evolution(var s): s.tell(assignment, reward: reward); self = .evolution(s)
    case .random(var s): s.tell(assignment, reward: reward); self = .random(s)
    }
  }
}

/// Tunable settings of the strategies (defaults follow the papers, scaled to short searches).
public struct StrategyOptions: Codable, Hashable, Sendable {
  /// Regularized evolution: population size P and tournament size S.
  public var population = 20
  public var tournament = 5
  /// PPO: samples per policy update, update epochs, clip ε, learning rate, entropy bonus,
  /// baseline decay.
  public var batch = 8
  public var epochs = 4
  public var clip = 0.2
  public var learningRate = 0.02
  public var entropy = 0.01
  public var baselineDecay = 0.9
  public init() {}
}

/// Uniform random search.
public struct RandomSearch: SearchStrategy {
  public var cardinalities: [Int]
  public var rng: SeededGenerator

  public init(cardinalities: [Int], seed: UInt64) {
    self.cardinalities = cardinalities
    rng = SeededGenerator(seed: seed)
  }

  public mutating func ask() -> [Int] { cardinalities.map { rng.uniform(below: $0) } }
  public mutating func tell(_ assignment: [Int], reward: Double) {}
}
