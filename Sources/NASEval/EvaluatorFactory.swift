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

  public static func make(_ spec: String, options: Options = Options()) throws(EvaluationError) -> any Evaluator {
    if spec.hasPrefix("cmd:") {
      return try CommandEvaluator(
        configuration: .init(command: String(spec.dropFirst(4)), timeoutSeconds: options.commandTimeout))
    }
    do {
      switch spec {
      case "train":
        var training = options.training
        training.threads = options.threads
        return try TrainEvaluator(
          configuration: .init(data: options.data, maxDownsampling: options.maxDownsampling, training: training))
      case "zen", "naswot", "synflow":
        return try ZeroCostEvaluator(
          configuration: .init(
            proxy: ZeroCostProxy(rawValue: spec)!, data: options.data, maxDownsampling: options.maxDownsampling,
            settings: options.zeroCost), threads: options.threads)
      default:
        throw EvaluationError("unknown evaluator '\(spec)'; use one of \(names.joined(separator: ", "))")
      }
    } catch let e as DataError {
      throw EvaluationError(e.description)
    } catch let e as EvaluationError {
      throw e
    } catch {
      throw EvaluationError("\(error)")
    }
  }
}
