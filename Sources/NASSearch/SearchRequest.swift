import Foundation
import NASEval
import NASSpace

/// Everything `nas search` was asked: what the command line parsed, before anything is opened.
public struct SearchRequest: Sendable {
  public var spacePath: String
  public var space: SearchSpace
  public var reward: Reward
  public var strategy: StrategyKind
  public var strategyOptions = StrategyOptions()
  /// Trial budget; the search stops at whichever of `trials` and `seconds` comes first.
  public var trials: Int?
  public var seconds: Double?
  /// `train`, `zen`, `naswot`, `synflow` or `cmd:COMMAND`.
  public var evaluatorSpec: String
  public var evaluatorOptions = EvaluatorFactory.Options()
  public var seed: UInt64 = 0
  public var workers = 1
  public var databasePath: String
  public var name: String?
  public var resume = false
  /// A device profile id (or unique prefix); nil is this machine at one thread, measured
  /// first when its tables lack the space.
  public var device: String?
  /// How many of the best candidates are measured end to end at the end.
  public var measureTop = 5
  /// Where the best `.arch` and the SVG plot go; nil puts them next to the database.
  public var outputDirectory: String?
  public var commandLine: String
  public var toolVersion: String
  /// How a child process evaluates like this one (`--workers` above 1): the `nas` binary and
  /// the arguments before the architecture file.
  public var workerCommand: (executable: String, arguments: [String])?
  /// Evaluate through the database's queue (`nas worker` processes, on any host, evaluate)
  /// instead of in this process or its children; `workers` is then the batch queued at once.
  public var queue = false
  /// The `nas _evaluate` arguments (before `--threads`) a queued evaluation carries.
  public var evaluateArguments: [String] = []
  /// Successive halving (`--fidelity`); nil for a flat search. Needs the train evaluator.
  public var fidelity: FidelitySchedule?
  /// The `nas _evaluate` arguments of each rung (its steps, and the top rung's schedule).
  public var rungEvaluateArguments: [[String]] = []

  public init(
    spacePath: String, space: SearchSpace, reward: Reward, strategy: StrategyKind, trials: Int?, seconds: Double?, evaluatorSpec: String,
    databasePath: String, commandLine: String, toolVersion: String
  ) {
    self.spacePath = spacePath
    self.space = space
    self.reward = reward
    self.strategy = strategy
    self.trials = trials
    self.seconds = seconds
    self.evaluatorSpec = evaluatorSpec
    self.databasePath = databasePath
    self.commandLine = commandLine
    self.toolVersion = toolVersion
  }
}

/// Why a search could not start or go on.
public enum SearchError: Error, CustomStringConvertible, Sendable {
  case nothingToResume(name: String?, database: String)
  case settingsDiffer(run: Int64, differences: [String])
  case storedRunUnreadable(run: Int64, reason: String)
  case evaluator(String)
  case latency(String)
  case interruptedBeforeStart
  /// Another live process works on the run `--resume` picked.
  case runInUse(String)

  public var description: String {
    switch self {
    case .nothingToResume(let name, let database):
      return "\(database): no search run\(name.map { " named '\($0)'" } ?? "") to resume; start one without --resume"
    case .settingsDiffer(let run, let differences):
      return "run \(run) was started with other settings, so --resume would mix two searches:\n"
        + differences.map { "  \($0)" }.joined(separator: "\n")
        + "\nresume with the stored settings, or start a new search without --resume"
    case .storedRunUnreadable(let run, let reason):
      return "run \(run) cannot be resumed: its stored settings are unreadable (\(reason))"
    case .evaluator(let message):
      return "evaluator: \(message)"
    case .latency(let message):
      return "latency: \(message)"
    case .interruptedBeforeStart:
      return "interrupted while measuring the latency tables; run the same command again to continue (measured configurations are kept)"
    case .runInUse(let message):
      return "cannot resume: \(message)"
    }
  }
}
