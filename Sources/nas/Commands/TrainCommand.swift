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
  @Option(parsing: .unconditional, help: "Largest total stride of the proxy network.") var maxDownsampling = TrainEvaluator.Configuration.defaultMaxDownsampling
  @Option(parsing: .unconditional, help: "Training images held out for validation.") var validation = DataSource.defaultValidationCount
  @Flag(help: "Also report accuracy on the test files.") var test = false
  @Option(help: "Start from these weights (safetensors saved for this architecture's proxy).") var weights: String?
  @Option(help: "Save the trained weights as safetensors.") var save: String?
  @Flag(help: "Print JSON.") var json = false
  @Flag(help: "No progress output.") var quiet = false

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
    var training = TrainingConfiguration(
      epochs: epochs ?? TrainEvaluator.Configuration.defaultEpochs, steps: steps, batchSize: batchSize, seed: seed, threads: threads)
    training.learningRate = lr ?? TrainEvaluator.Configuration.defaultLearningRate
    var job = TrainJob(
      architecture: try CLI.loadArchitecture(file),
      configuration: .init(data: data, validationImages: validation, maxDownsampling: maxDownsampling, training: training))
    job.initialWeightsPath = weights
    job.savePath = save
    job.includeTest = test
    let (evaluator, initial) = try job.prepare()
    let progress = ProgressReporter(
      label: "steps", total: training.totalSteps(trainingImages: evaluator.splits.train.count), enabled: !quiet)
    let stop = Interrupt.install(message: "stopping after this step (Ctrl-C again to quit now)")
    let report: TrainReport
    do {
      defer { progress.finish() }
      report = try job.run(evaluator, initialWeights: initial, progress: progress, shouldStop: { stop.isSet })
    }
    print(json ? try JSONOutput.document(report) : report.text)
  }
}
