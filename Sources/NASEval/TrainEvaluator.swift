import Foundation
import NASArch
import NASSupport
import NASTrain

/// MnasNet-style proxy training: the architecture's proxy (``ProxyRule``) is trained from
/// scratch for a short budget on the training split and scored by top-1 accuracy on the
/// held-out validation split.
public final class TrainEvaluator: Evaluator {
  /// Everything that decides the result.
  public struct Configuration: Codable, Hashable, Sendable {
    /// `fashion-mnist` or a data directory.
    public var data: String
    public var validationImages: Int
    public var maxDownsampling: Int
    public var training: TrainingConfiguration

    /// `nas train`'s default budget: 4 epochs of the 55,000 training images at batch 128, peak
    /// learning rate 0.1, proxy total stride up to 32 (docs/training.md says how it was chosen).
    public static let defaultEpochs = 4.0
    public static let defaultLearningRate = 0.1
    public static let defaultMaxDownsampling = 32

    /// The search's proxy budget per candidate: 120 steps of batch 128 at a peak learning rate
    /// of 0.05, about 25 s on two cores (docs/search.md says how it was chosen).
    public static let searchSteps = 120
    public static let searchBatchSize = 128
    public static let searchLearningRate = 0.05

    public init(
      data: String = "fashion-mnist", validationImages: Int = DataSource.defaultValidationCount,
      maxDownsampling: Int = defaultMaxDownsampling,
      training: TrainingConfiguration = TrainingConfiguration(epochs: defaultEpochs, learningRate: defaultLearningRate)
    ) {
      self.data = data
      self.validationImages = validationImages
      self.maxDownsampling = maxDownsampling
      self.training = training
    }

    /// Settings recorded with each evaluation (the thread count is left out: it changes only
    /// the rounding of sums, not what is measured).
    var identity: [String: String] {
      let t = training
      var d: [String: String] = [
        "evaluator": "train", "data": data, "validation_images": String(validationImages),
        "max_downsampling": String(maxDownsampling), "batch_size": String(t.batchSize), "lr": String(t.learningRate),
        "warmup_fraction": String(t.warmupFraction), "momentum": String(t.optimizer.momentum),
        "nesterov": String(t.optimizer.nesterov), "weight_decay": String(t.optimizer.weightDecay),
        "label_smoothing": String(t.labelSmoothing), "seed": String(t.seed),
      ]
      if let steps = t.steps { d["steps"] = String(steps) } else { d["epochs"] = String(t.epochs) }
      if let schedule = t.scheduleSteps { d["schedule_steps"] = String(schedule) }
      return d
    }
  }

  /// The outcome of one proxy training, with what `nas train` and NetAdapt need beyond the score.
  public struct Outcome: Sendable {
    public var proxy: Architecture
    public var validation: AccuracySummary
    public var test: AccuracySummary?
    public var training: TrainingSummary
    public var weights: WeightSet
    /// The state to continue from, when asked for (``train(_:initialWeights:from:keepCheckpoint:training:includeTest:progress:shouldStop:)``).
    public var checkpoint: TrainingCheckpoint?
  }

  public let configuration: Configuration
  public let splits: DataSplits
  public let rule: ProxyRule
  public var name: String { "train" }
  public var configurationJSON: String { CanonicalJSON.string(configuration.identity) }

  /// Loads the data (this is where a missing data set is reported).
  public init(configuration: Configuration = Configuration(), splits: DataSplits? = nil) throws(DataError) {
    self.configuration = configuration
    if let splits {
      self.splits = splits
    } else {
      self.splits = try DataSource(argument: configuration.data).load(validationCount: configuration.validationImages)
    }
    rule = ProxyRule(for: self.splits.train, maxDownsampling: configuration.maxDownsampling)
  }

  public func evaluate(_ architecture: Architecture) -> Result<Evaluation, EvaluationError> {
    evaluate(architecture, continuing: nil).result
  }

  /// Evaluates `architecture`, continuing the training saved in `checkpoint` (the bytes of a
  /// ``TrainingCheckpoint``) when given, and returns the checkpoint of this training beside
  /// the result: one rung of successive halving.
  public func evaluate(_ architecture: Architecture, continuing checkpoint: Data?, keepCheckpoint: Bool = false)
    -> (result: Result<Evaluation, EvaluationError>, checkpoint: Data?)
  {
    let start = Date()
    do {
      let resumed = try checkpoint.map { data throws(TrainError) in try TrainingCheckpoint(decoding: data, source: "the saved checkpoint") }
      let o = try train(architecture, from: resumed, keepCheckpoint: keepCheckpoint)
      var details: [String: Double] = [
        "validation_loss": o.validation.loss, "train_loss": o.training.finalLoss,
        "train_accuracy": o.training.finalTrainingAccuracy, "steps": Double(o.training.steps),
        "epochs": o.training.epochs, "images_per_second": o.training.imagesPerSecond,
      ]
      if let macs = try? o.proxy.costs().macs { details["proxy_macs"] = Double(macs) }
      if let resumed { details[Evaluation.continuedFromStepKey] = Double(resumed.step) }
      let evaluation = Evaluation(
        evaluator: name, value: o.validation.accuracy, isAccuracy: true, seconds: Date().timeIntervalSince(start), details: details)
      return (.success(evaluation), o.checkpoint?.encoded())
    } catch {
      return (.failure(EvaluationError(error.description)), nil)
    }
  }

  /// Trains the proxy of `architecture` (starting from `initialWeights` when given: NetAdapt's
  /// fine-tuning of inherited weights, which must fit the proxy's shapes; or continuing a
  /// `checkpoint` of this proxy's training) and scores it; `keepCheckpoint` returns the state
  /// to continue from.
  public func train(
    _ architecture: Architecture, initialWeights: WeightSet? = nil, from checkpoint: TrainingCheckpoint? = nil,
    keepCheckpoint: Bool = false, training: TrainingConfiguration? = nil, includeTest: Bool = false,
    progress: ProgressReporter? = nil, shouldStop: () -> Bool = { false }
  ) throws(TrainError) -> Outcome {
    let proxy = rule.proxy(of: architecture)
    let settings = training ?? configuration.training
    let network = try Network<Float>(proxy, seed: settings.seed, threads: settings.threads)
    if let initialWeights { try network.load(initialWeights, requireSameArchitecture: false) }
    let trainer = Trainer(network: network, configuration: settings)
    let summary = try trainer.train(on: splits.train, from: checkpoint, progress: progress, shouldStop: shouldStop)
    let state = keepCheckpoint ? TrainingCheckpoint(network: network, step: (checkpoint?.step ?? 0) + summary.steps) : nil
    let validation = try trainer.evaluate(on: splits.validation)
    let test = includeTest ? try trainer.evaluate(on: splits.test) : nil
    var weights = network.weights()
    weights.metadata["nas.deployment_hash"] = architecture.canonicalHash
    weights.preprocessing = splits.train.preprocessing
    return Outcome(proxy: proxy, validation: validation, test: test, training: summary, weights: weights, checkpoint: state)
  }
}
