import NASArch
import NASStore

/// Where a search keeps its record: the results store in the product, memory in tests.
///
/// The search saves its state (strategy, trial counter, the batch in flight) before it
/// evaluates a batch, and each evaluation is committed when it finishes, so a run killed at
/// any point resumes with no trial lost or evaluated twice.
public protocol SearchRecorder: AnyObject {
  /// The saved state of this run, if it has one.
  func loadState() throws -> SearchState?
  /// Saves the state (in one transaction).
  func saveState(_ state: SearchState) throws
  /// The finished evaluation of a trial of this run, if it was committed.
  func finishedTrial(_ trial: Int) throws -> TrialOutcome?
  /// A finished evaluation of the same architecture by the same evaluator configuration,
  /// from any run, whose accuracy can be reused.
  func reusableAccuracy(hash: String, evaluator: String) throws -> Double?
  /// Marks a trial's evaluation as started (with a heartbeat) and returns its identifier; in
  /// successive halving, `rung` and that rung's evaluator settings.
  func beginTrial(_ trial: Int, rung: Int?, architecture: Architecture, predictedLatency: Double?, evaluatorConfigJSON: String)
    throws -> Int64
  /// Commits a finished evaluation.
  func finishTrial(_ id: Int64, outcome: TrialOutcome) throws
}

/// The resumable state of a search.
public struct SearchState: Codable, Sendable {
  public var strategy: AnyStrategy
  /// The next trial number to hand out (trials are numbered from 1).
  public var nextTrial: Int
  /// Trials asked and saved but not yet told to the strategy, in order.
  public var pending: [PendingTrial]
  /// Seconds spent in earlier sessions of this run (for `--time` budgets).
  public var elapsedSeconds: Double
  /// Successive halving's rungs and promotions (`--fidelity`); nil in a flat search.
  public var halving: HalvingState?

  public init(strategy: AnyStrategy) {
    self.strategy = strategy
    nextTrial = 1
    pending = []
    elapsedSeconds = 0
  }

  /// Trials completed (told to the strategy).
  public var completedTrials: Int { nextTrial - 1 - pending.count }
}

/// A trial asked of the strategy, or in successive halving a candidate promoted to a rung.
public struct PendingTrial: Codable, Hashable, Sendable {
  public var trial: Int
  public var assignment: [Int]
  /// Successive halving: the rung this evaluation trains to, and the candidate (the trial of
  /// its lowest-rung evaluation). Nil in a flat search.
  public var rung: Int?
  public var candidate: Int?

  public init(trial: Int, assignment: [Int], rung: Int? = nil, candidate: Int? = nil) {
    self.trial = trial
    self.assignment = assignment
    self.rung = rung
    self.candidate = candidate
  }
}

/// The result of one trial.
public struct TrialOutcome: Codable, Hashable, Sendable {
  /// ok, failed or timed out (the store's words; a trial is never recorded as running).
  public typealias Status = EvaluationStatus

  public var trial: Int
  /// Successive halving's rung; nil in a flat search.
  public var rung: Int?
  public var hash: String?
  public var status: Status
  public var accuracy: Double?
  public var predictedLatency: Double?
  public var reward: Double
  public var message: String?
  public var reused: Bool
  public var wallSeconds: Double

  public init(
    trial: Int, hash: String?, status: Status, accuracy: Double?, predictedLatency: Double?, reward: Double, message: String?,
    reused: Bool, wallSeconds: Double, rung: Int? = nil
  ) {
    self.trial = trial
    self.rung = rung
    self.hash = hash
    self.status = status
    self.accuracy = accuracy
    self.predictedLatency = predictedLatency
    self.reward = reward
    self.message = message
    self.reused = reused
    self.wallSeconds = wallSeconds
  }
}
