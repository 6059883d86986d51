import Foundation

/// What a queued evaluation asks of a worker: the evaluator settings of the search that queued
/// it, as the arguments of `nas _evaluate`, stored as JSON in the queue's `evaluator` column. A
/// worker runs them in a child process, as `nas search --workers K` does on one host, so a
/// candidate that crashes or hangs fails alone.
public struct WorkerTask: Codable, Sendable, Equatable {
  /// `nas _evaluate` arguments before `--threads` and the architecture file.
  public var evaluateArguments: [String]
  public var timeoutSeconds: Double
  /// The evaluator's name and configuration, recorded with each result as if evaluated locally.
  public var evaluatorName: String
  public var configurationJSON: String
  /// A rung of successive halving: which checkpoint to continue and whether to keep one.
  public var continuation: Continuation?

  /// How a rung's training continues the rung below's and leaves a checkpoint for the next.
  public struct Continuation: Codable, Sendable, Equatable {
    /// The evaluator settings of the rung below, whose checkpoint of the same architecture the
    /// training continues; nil at the lowest rung.
    public var continueFrom: String?
    /// Whether to keep this evaluation's checkpoint (every rung but the top).
    public var keepsCheckpoint: Bool
    /// The training steps at the end of this rung.
    public var steps: Int

    public init(continueFrom: String?, keepsCheckpoint: Bool, steps: Int) {
      self.continueFrom = continueFrom
      self.keepsCheckpoint = keepsCheckpoint
      self.steps = steps
    }

    enum CodingKeys: String, CodingKey {
      case continueFrom = "continue_from"
      case keepsCheckpoint = "keeps_checkpoint"
      case steps
    }
  }

  public init(
    evaluateArguments: [String], timeoutSeconds: Double, evaluatorName: String, configurationJSON: String, continuation: Continuation? = nil
  ) {
    self.evaluateArguments = evaluateArguments
    self.timeoutSeconds = timeoutSeconds
    self.evaluatorName = evaluatorName
    self.configurationJSON = configurationJSON
    self.continuation = continuation
  }

  enum CodingKeys: String, CodingKey {
    case evaluateArguments = "evaluate_arguments"
    case timeoutSeconds = "timeout_seconds"
    case evaluatorName = "evaluator_name"
    case configurationJSON = "configuration"
    case continuation
  }

  public func json() throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    return String(decoding: try encoder.encode(self), as: UTF8.self)
  }

  public static func decode(_ json: String) throws -> WorkerTask { try JSONDecoder().decode(WorkerTask.self, from: Data(json.utf8)) }
}
