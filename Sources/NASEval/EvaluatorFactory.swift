import NASTrain

/// Builds an evaluator from its command-line name: `train`, `zen`, `naswot`, `synflow` or
/// `cmd:COMMAND`, with the settings the search and NetAdapt commands expose.
public enum EvaluatorFactory {
  public struct Options: Sendable {
    public var data: String = "fashion-mnist"
    public var training = TrainingConfiguration(
      epochs: TrainEvaluator.Configuration.defaultEpochs, learningRate: TrainEvaluator.Configuration.defaultLearningRate)
    public var maxDownsampling = TrainEvaluator.Configuration.defaultMaxDownsampling
    public var zeroCost = ZeroCostSettings()
    public var commandTimeout = CommandEvaluator.Configuration.defaultTimeoutSeconds
    public var threads = 2

    public init() {}
  }

  public static let names = ["train", "zen", "naswot", "synflow", "cmd:COMMAND"]

  /// What a spec asks for, with its settings, before anything is loaded.
  enum Plan {
    case command(CommandEvaluator.Configuration)
    case train(TrainEvaluator.Configuration)
    case zeroCost(ZeroCostEvaluator.Configuration)
  }

  static func plan(_ spec: String, options: Options) throws(EvaluationError) -> Plan {
    if spec.hasPrefix("cmd:") {
      return .command(.init(command: String(spec.dropFirst(4)), timeoutSeconds: options.commandTimeout))
    }
    switch spec {
    case "train":
      var training = options.training
      training.threads = options.threads
      return .train(.init(data: options.data, maxDownsampling: options.maxDownsampling, training: training))
    case "zen", "naswot", "synflow":
      return .zeroCost(
        .init(proxy: ZeroCostProxy(rawValue: spec)!, data: options.data, maxDownsampling: options.maxDownsampling, settings: options.zeroCost))
    default:
      throw EvaluationError("unknown evaluator '\(spec)'; use one of \(names.joined(separator: ", "))")
    }
  }

  public static func make(_ spec: String, options: Options = Options()) throws(EvaluationError) -> any Evaluator {
    do {
      switch try plan(spec, options: options) {
      case .command(let configuration): return try CommandEvaluator(configuration: configuration)
      case .train(let configuration): return try TrainEvaluator(configuration: configuration)
      case .zeroCost(let configuration): return try ZeroCostEvaluator(configuration: configuration, threads: options.threads)
      }
    } catch let e as DataError {
      throw EvaluationError(e.description)
    } catch let e as EvaluationError {
      throw e
    } catch {
      throw EvaluationError("\(error)")
    }
  }

  /// The name, configuration and kind of value of the evaluator `spec` makes, without making it
  /// (no data set is loaded): what a search that queues its candidates for workers records.
  public static func identity(_ spec: String, options: Options = Options()) throws(EvaluationError) -> EvaluatorIdentity {
    switch try plan(spec, options: options) {
    case .command(let configuration):
      let evaluator = try CommandEvaluator(configuration: configuration)
      return EvaluatorIdentity(name: evaluator.name, configurationJSON: evaluator.configurationJSON, givesAccuracy: evaluator.givesAccuracy)
    case .train(let configuration):
      return EvaluatorIdentity(name: "train", configurationJSON: CanonicalJSON.string(configuration.identity), givesAccuracy: true)
    case .zeroCost(let configuration):
      return EvaluatorIdentity(name: configuration.proxy.rawValue, configurationJSON: CanonicalJSON.string(configuration.identity), givesAccuracy: false)
    }
  }
}

/// An evaluator's name, its configuration as recorded with each result, and whether its values
/// are accuracies.
public struct EvaluatorIdentity: Sendable, Equatable {
  public var name: String
  public var configurationJSON: String
  public var givesAccuracy: Bool

  public init(name: String, configurationJSON: String, givesAccuracy: Bool) {
    self.name = name
    self.configurationJSON = configurationJSON
    self.givesAccuracy = givesAccuracy
  }
}

extension EvaluatorFactory.Options {
  /// The settings of one rung of successive halving: `steps` of a schedule `scheduleSteps` long.
  public func rung(steps: Int, scheduleSteps: Int) -> Self {
    var o = self
    o.training.steps = steps
    o.training.scheduleSteps = scheduleSteps
    return o
  }
}
