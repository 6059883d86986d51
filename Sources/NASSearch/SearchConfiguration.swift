import Foundation
import NASSpace

/// Everything that defines a search run. It is stored with the run; `--resume` compares the
/// stored configuration with the one given and refuses to continue when they differ.
public struct SearchConfiguration: Codable, Hashable, Sendable {
  public var spacePath: String
  /// The space's content hash (``SearchSpace/contentHash``, the SHA-256 of its canonical
  /// text) when the run started. Runs recorded before the canonical text hold the SHA-256 of
  /// the file's text; ``differences(from:)`` still accepts those (``SpaceIdentity``).
  public var spaceHash: String
  public var reward: Reward
  public var strategy: StrategyKind
  public var strategyOptions: StrategyOptions
  /// Trial budget; nil when the budget is a duration.
  public var trials: Int?
  /// Time budget in seconds; nil when the budget is a trial count.
  public var seconds: Double?
  /// The evaluator's name and settings, as the evaluator describes itself (in successive
  /// halving, the top rung's).
  public var evaluator: String
  /// Successive halving (`--fidelity`), and the evaluator settings of each of its rungs; nil in
  /// a flat search.
  public var fidelity: FidelitySchedule?
  public var rungEvaluators: [String]?
  public var seed: UInt64
  public var workers: Int
  public var device: String
  /// How many of the best candidates are measured end to end at the end.
  public var measureTop: Int

  public init(
    spacePath: String, spaceHash: String, reward: Reward, strategy: StrategyKind, strategyOptions: StrategyOptions = StrategyOptions(),
    trials: Int?, seconds: Double?, evaluator: String, seed: UInt64, workers: Int, device: String, measureTop: Int = 5
  ) {
    self.spacePath = spacePath
    self.spaceHash = spaceHash
    self.reward = reward
    self.strategy = strategy
    self.strategyOptions = strategyOptions
    self.trials = trials
    self.seconds = seconds
    self.evaluator = evaluator
    self.seed = seed
    self.workers = workers
    self.device = device
    self.measureTop = measureTop
  }

  /// The settings that differ from `other`, as `name: stored → given` lines. The budget may
  /// grow on resume (continuing a finished search for more trials), so it is not compared.
  ///
  /// Called on the stored configuration with the given one. The stored space hash matches
  /// when it is the given content hash, or a hash recorded before the canonical text that
  /// names the same space: the text hash of the file at `other.spacePath` as it is now, or
  /// the old text hash of a shipped space rewritten since (``SpaceIdentity``).
  public func differences(from other: SearchConfiguration) -> [String] {
    func line<T: Equatable>(_ name: String, _ a: T, _ b: T) -> String? { a == b ? nil : "\(name): \(a) → \(b)" }
    let sameSpace = SpaceIdentity.names(contentHash: other.spaceHash, path: other.spacePath, recorded: spaceHash)
    return [
      line("space", spacePath, other.spacePath),
      sameSpace ? nil : line("space contents (sha256)", String(spaceHash.prefix(12)), String(other.spaceHash.prefix(12))),
      line("target-ms", reward.targetMilliseconds, other.reward.targetMilliseconds),
      line("alpha", reward.alpha, other.reward.alpha),
      line("beta", reward.beta, other.reward.beta),
      line("strategy", strategy.rawValue, other.strategy.rawValue),
      line("strategy options", "\(strategyOptions)", "\(other.strategyOptions)"),
      line("evaluator", evaluator, other.evaluator),
      line("fidelity", fidelity.map(\.description) ?? "flat", other.fidelity.map(\.description) ?? "flat"),
      line("seed", seed, other.seed),
      line("workers", workers, other.workers),
      line("device", device, other.device),
    ].compactMap { $0 }
  }
}

extension SearchConfiguration {
  /// The evaluator settings an evaluation at `rung` is recorded (and reused) under.
  public func evaluator(rung: Int?) -> String {
    guard let rung, let rungEvaluators, rungEvaluators.indices.contains(rung) else { return evaluator }
    return rungEvaluators[rung]
  }
}

extension FidelitySchedule: CustomStringConvertible {
  /// `rungs 40,120,360 steps, eta 3`.
  public var description: String { "rungs \(rungSteps.map(String.init).joined(separator: ",")) steps, eta \(eta)" }
}
