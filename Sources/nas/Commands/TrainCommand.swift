import ArgumentParser
import Foundation
import NASArch
import NASEval
import NASSupport
import NASTrain

/// `nas train`: proxy-train one architecture and print its held-out accuracy.
struct TrainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train",
    abstract: "Proxy-train an architecture and report held-out accuracy.",
    discussion: """
      Trains the architecture's proxy (input and classes of the data set; early strides set to 1 \
      until the total downsampling is at most --max-downsampling, see docs/training.md) from \
      scratch with SGD and a cosine schedule, then reports top-1 accuracy on the validation \
      images held out of the training files (and on the test files with --test).
      """)

  @Argument(help: "An .arch file.") var file: String
  @Option(help: "fashion-mnist, a directory of IDX or CIFAR-10 binary files, or random:HxWxC (throughput only).")
  var data = "fashion-mnist"
  @Option(parsing: .unconditional, help: "Training budget in epochs (default 4).") var epochs: Double?
  @Option(parsing: .unconditional, help: "Training budget in steps (overrides --epochs).") var steps: Int?
  @Option(parsing: .unconditional, help: "Images per step.") var batchSize = 128
  @Option(parsing: .unconditional, help: "Peak learning rate (default 0.1).") var lr: Double?
  @Option(parsing: .unconditional, help: "Seed for initialisation, shuffling and dropout.") var seed: UInt64 = 0
  @Option(parsing: .unconditional, help: "Threads.") var threads = 2
  @Option(parsing: .unconditional, help: "Largest total stride of the proxy network.") var maxDownsampling = 32
  @Option(parsing: .unconditional, help: "Training images held out for validation.") var validation = DataSource.defaultValidationCount
  @Flag(help: "Also report accuracy on the test files.") var test = false
  @Option(help: "Start from these weights (safetensors saved for this architecture's proxy).") var weights: String?
  @Option(help: "Save the trained weights as safetensors.") var save: String?
  @Flag(help: "Print JSON.") var json = false
  @Flag(help: "No progress output.") var quiet = false

  struct Report: Encodable {
    var architecture: String?
    var hash: String
    var proxy: String
    var proxyHash: String
    var proxyMACs: Int
    var deploymentMACs: Int
    var data: String
    var steps: Int
    var epochs: Double
    var batchSize: Int
    var seconds: Double
    var imagesPerSecond: Double
    /// The OpenBLAS core and the engine's instruction set that ran the training.
    var kernels: TrainingKernels
    var trainLoss: Double
    var trainAccuracy: Double
    var validationAccuracy: Double
    var validationImages: Int
    var testAccuracy: Double?
    var testImages: Int?
    var evaluatorConfiguration: String
    var weights: String?
    var stoppedEarly: Bool
  }

  func validate() throws {
    try OptionChecks.positive(epochs, "--epochs")
    try OptionChecks.positive(steps, "--steps")
    try OptionChecks.atLeast(2, batchSize, "--batch-size", why: " (batch norm needs two images)")
    try OptionChecks.positive(lr, "--lr")
    try OptionChecks.positive(threads, "--threads")
    try OptionChecks.positive(maxDownsampling, "--max-downsampling")
    try OptionChecks.positive(validation, "--validation")
    try OptionChecks.data(data, validation: validation)
    try OptionChecks.inputFile(weights, "--weights")
    try OptionChecks.outputFile(save, "--save")
  }

  func run() throws {
    let arch = try CLI.loadArchitecture(file)
    var training = TrainingConfiguration(epochs: epochs ?? TrainEvaluator.Configuration.defaultEpochs, steps: steps, batchSize: batchSize, seed: seed, threads: threads)
    training.learningRate = lr ?? TrainEvaluator.Configuration.defaultLearningRate
    let config = TrainEvaluator.Configuration(
      data: data, validationImages: validation, maxDownsampling: maxDownsampling, training: training)
    let evaluator: TrainEvaluator
    do {
      evaluator = try TrainEvaluator(configuration: config)
    } catch {
      throw CLI.Failure(description: error.description)
    }
    let initial: WeightSet?
    do {
      initial = try weights.map { path throws(TrainError) in try Safetensors.read(path: path) }
      if let initial {
        // Only weights saved for this very proxy are accepted here.
        let proxy = evaluator.rule.proxy(of: arch)
        try Network<Float>(proxy, threads: 1).load(initial)
      }
    } catch {
      throw CLI.Failure(description: error.description)
    }
    let proxy = evaluator.rule.proxy(of: arch)
    let deploymentCosts = try CLI.check { () throws(ArchitectureError) in try arch.costs() }
    let proxyCosts = try CLI.check { () throws(ArchitectureError) in try proxy.costs() }
    let total = training.totalSteps(trainingImages: evaluator.splits.train.count)
    let progress = ProgressReporter(label: "steps", total: total, enabled: !quiet)
    let stop = Interrupt.install(message: "stopping after this step (Ctrl-C again to quit now)")
    let outcome: TrainEvaluator.Outcome
    do {
      outcome = try evaluator.train(
        arch, initialWeights: initial, includeTest: test, progress: progress, shouldStop: { stop.isSet })
    } catch {
      progress.finish()
      throw CLI.Failure(description: error.description)
    }
    progress.finish()
    if let save {
      do {
        try Safetensors.write(outcome.weights, to: save)
      } catch {
        throw CLI.Failure(description: error.description)
      }
    }
    let r = Report(
      architecture: arch.name, hash: arch.canonicalHash, proxy: proxy.inputShape.description, proxyHash: proxy.canonicalHash,
      proxyMACs: proxyCosts.macs, deploymentMACs: deploymentCosts.macs, data: evaluator.splits.source,
      steps: outcome.training.steps, epochs: outcome.training.epochs, batchSize: batchSize, seconds: outcome.training.seconds,
      imagesPerSecond: outcome.training.imagesPerSecond, kernels: .current, trainLoss: outcome.training.finalLoss,
      trainAccuracy: outcome.training.finalTrainingAccuracy, validationAccuracy: outcome.validation.accuracy,
      validationImages: outcome.validation.images, testAccuracy: outcome.test?.accuracy, testImages: outcome.test?.images,
      evaluatorConfiguration: evaluator.configurationJSON, weights: save, stoppedEarly: outcome.training.stoppedEarly)
    if json {
      print(try JSONOutput.string(r))
      return
    }
    let strides = ProxyRule.downsampling(of: proxy)
    print(
      "\(arch.name ?? "architecture") \(arch.shortHash): proxy \(proxy.inputShape) \(proxy.classes) classes, total stride \(strides) (deployment \(ProxyRule.downsampling(of: arch))), proxy MACs \(Format.si(Double(proxyCosts.macs)))"
    )
    print(
      "trained \(r.steps) steps (\(Format.fixed(r.epochs, 2)) epochs of \(evaluator.splits.train.count) images, batch \(batchSize)) in \(ProgressReporter.formatDuration(r.seconds)), \(Format.fixed(r.imagesPerSecond, 1)) images/s; final training loss \(Format.fixed(r.trainLoss, 4))"
    )
    print("kernels: \(r.kernels.summary)")
    if r.stoppedEarly { print("interrupted: the accuracy below is of the partly trained network") }
    print("validation accuracy \(Format.fixed(r.validationAccuracy, 4)) (\(r.validationImages) images held out of the training files)")
    if let t = r.testAccuracy { print("test accuracy \(Format.fixed(t, 4)) (\(r.testImages ?? 0) test images)") }
    if let save { print("weights saved to \(save)") }
  }
}
