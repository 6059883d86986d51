import Foundation
import NASArch
import NASSupport
import NASTrain

/// `nas train`'s work: proxy-train one architecture (from saved weights when given), save the
/// trained weights when asked, and report what was trained, how fast and how well.
public struct TrainJob: Sendable {
  public var architecture: Architecture
  public var configuration: TrainEvaluator.Configuration
  /// Safetensors saved for this architecture's proxy to start from.
  public var initialWeightsPath: String?
  /// Where to save the trained weights.
  public var savePath: String?
  public var includeTest = false

  public init(architecture: Architecture, configuration: TrainEvaluator.Configuration) {
    self.architecture = architecture
    self.configuration = configuration
  }

  /// Loads the data and the weights: what can fail before the training starts.
  public func prepare() throws -> (TrainEvaluator, WeightSet?) {
    let evaluator = try TrainEvaluator(configuration: configuration)
    guard let initialWeightsPath else { return (evaluator, nil) }
    let initial = try Safetensors.read(path: initialWeightsPath)
    // Only weights saved for this very proxy are accepted here.
    try Network<Float>(evaluator.rule.proxy(of: architecture), threads: 1).load(initial)
    return (evaluator, initial)
  }

  /// Trains; `shouldStop` ends the training early (the report says so).
  public func run(
    _ evaluator: TrainEvaluator, initialWeights: WeightSet?, progress: ProgressReporter? = nil, shouldStop: () -> Bool = { false }
  ) throws -> TrainReport {
    let proxy = evaluator.rule.proxy(of: architecture)
    let deploymentMacs = try architecture.costs().macs
    let proxyMacs = try proxy.costs().macs
    let outcome = try evaluator.train(
      architecture, initialWeights: initialWeights, includeTest: includeTest, progress: progress, shouldStop: shouldStop)
    if let savePath { try Safetensors.write(outcome.weights, to: savePath) }
    let t = outcome.training
    return TrainReport(
      architecture: architecture.name, hash: architecture.canonicalHash, shortHash: architecture.shortHash,
      proxy: proxy.inputShape.description, proxyHash: proxy.canonicalHash, proxyClasses: proxy.classes,
      proxyTotalStride: ProxyRule.downsampling(of: proxy), deploymentTotalStride: ProxyRule.downsampling(of: architecture),
      proxyMacs: proxyMacs, deploymentMacs: deploymentMacs, data: evaluator.splits.source, trainingImages: evaluator.splits.train.count,
      steps: t.steps, epochs: t.epochs, batchSize: configuration.training.batchSize, seconds: t.seconds,
      imagesPerSecond: t.imagesPerSecond, kernels: .current, trainLoss: t.finalLoss, trainAccuracy: t.finalTrainingAccuracy,
      validationAccuracy: outcome.validation.accuracy, validationImages: outcome.validation.images, testAccuracy: outcome.test?.accuracy,
      testImages: outcome.test?.images, evaluatorConfiguration: evaluator.configurationJSON, weights: savePath,
      stoppedEarly: t.stoppedEarly)
  }
}

/// What `nas train` reports (`--json` prints it; accuracies are fractions from 0 to 1).
public struct TrainReport: Codable, Sendable {
  public var architecture: String?
  public var hash: String
  public var shortHash: String
  /// The proxy's input shape.
  public var proxy: String
  public var proxyHash: String
  public var proxyClasses: Int
  public var proxyTotalStride: Int
  public var deploymentTotalStride: Int
  public var proxyMacs: Int
  public var deploymentMacs: Int
  public var data: String
  public var trainingImages: Int
  public var steps: Int
  public var epochs: Double
  public var batchSize: Int
  public var seconds: Double
  public var imagesPerSecond: Double
  /// The OpenBLAS core and the engine's instruction set that ran the training.
  public var kernels: TrainingKernels
  public var trainLoss: Double
  public var trainAccuracy: Double
  public var validationAccuracy: Double
  public var validationImages: Int
  public var testAccuracy: Double?
  public var testImages: Int?
  public var evaluatorConfiguration: String
  public var weights: String?
  public var stoppedEarly: Bool

  /// The text `nas train` prints.
  public var text: String {
    var lines = [
      "\(architecture ?? "architecture") \(shortHash): proxy \(proxy) \(proxyClasses) classes, total stride \(proxyTotalStride) "
        + "(deployment \(deploymentTotalStride)), proxy MACs \(Format.si(Double(proxyMacs)))",
      "trained \(steps) steps (\(Format.fixed(epochs, 2)) epochs of \(trainingImages) images, batch \(batchSize)) in "
        + "\(ProgressReporter.formatDuration(seconds)), \(Format.fixed(imagesPerSecond, 1)) images/s; final training loss \(Format.fixed(trainLoss, 4))",
      "kernels: \(kernels.summary)",
    ]
    if stoppedEarly { lines.append("interrupted: the accuracy below is of the partly trained network") }
    lines.append("validation accuracy \(Format.fixed(validationAccuracy, 4)) (\(validationImages) images held out of the training files)")
    if let testAccuracy { lines.append("test accuracy \(Format.fixed(testAccuracy, 4)) (\(testImages ?? 0) test images)") }
    if let weights { lines.append("weights saved to \(weights)") }
    return lines.joined(separator: "\n")
  }
}
