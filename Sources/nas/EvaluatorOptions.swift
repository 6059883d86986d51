import ArgumentParser
import NASEval
import NASTrain

/// The evaluator settings `nas search` exposes, and the same settings as arguments for the
/// worker processes of `--workers`, so a child evaluates exactly as the parent would.
///
/// The `train` defaults are the search's proxy budget (`TrainEvaluator.Configuration.search*`),
/// not `nas train`'s.
struct EvaluatorOptions: ParsableArguments {
  @Option(help: "train, zen, naswot, synflow or cmd:COMMAND.") var evaluator = "train"
  @Option(help: "Data set of the train and zero-cost evaluators: fashion-mnist or a directory of IDX or CIFAR-10 files.")
  var data = "fashion-mnist"
  @Option(parsing: .unconditional, help: "train: budget in steps per candidate.") var steps = TrainEvaluator.Configuration.searchSteps
  @Option(parsing: .unconditional, help: .hidden) var scheduleSteps: Int?
  @Option(parsing: .unconditional, help: "train: images per step.") var batchSize = TrainEvaluator.Configuration.searchBatchSize
  @Option(parsing: .unconditional, help: "train: peak learning rate.") var lr = TrainEvaluator.Configuration.searchLearningRate
  @Option(parsing: .unconditional, help: "train: seed of initialisation, data order and dropout (another seed trains each candidate anew).")
  var trainingSeed: UInt64 = 0
  @Option(parsing: .unconditional, help: "train and zero-cost: largest total stride of the proxy network.") var maxDownsampling = TrainEvaluator.Configuration.defaultMaxDownsampling
  @Option(parsing: .unconditional, help: "Seconds before an evaluation (cmd or worker) is stopped and recorded as timed out.") var evalTimeout = CommandEvaluator.Configuration.defaultTimeoutSeconds

  func validate() throws {
    let known = evaluator.hasPrefix("cmd:") ? evaluator.count > 4 : EvaluatorFactory.names.contains(evaluator)
    guard known else {
      throw ValidationError("--evaluator must be one of \(EvaluatorFactory.names.joined(separator: ", ")), not '\(evaluator)'")
    }
    try OptionChecks.positive(steps, "--steps")
    try OptionChecks.positive(scheduleSteps, "--schedule-steps")
    if let scheduleSteps, scheduleSteps < steps {
      throw ValidationError("--schedule-steps (\(scheduleSteps)) must be at least --steps (\(steps))")
    }
    try OptionChecks.atLeast(2, batchSize, "--batch-size", why: " (batch norm needs two images)")
    try OptionChecks.positive(lr, "--lr")
    try OptionChecks.positive(maxDownsampling, "--max-downsampling")
    // Infinite is allowed: no time limit.
    guard evalTimeout > 0 else { throw ValidationError("--eval-timeout must be a positive number of seconds, not \(evalTimeout)") }
    if !evaluator.hasPrefix("cmd:") { try OptionChecks.data(data) }
  }

  func factoryOptions(threads: Int) -> EvaluatorFactory.Options {
    var o = EvaluatorFactory.Options()
    o.data = data
    o.training = TrainingConfiguration(epochs: 1, steps: steps, batchSize: batchSize, learningRate: lr)
    o.training.scheduleSteps = scheduleSteps
    o.training.seed = trainingSeed
    o.maxDownsampling = maxDownsampling
    o.commandTimeout = evalTimeout
    o.threads = threads
    return o
  }

  /// These settings as command-line arguments.
  var arguments: [String] {
    [
      "--evaluator", evaluator, "--data", data, "--steps", String(steps), "--batch-size", String(batchSize), "--lr", String(lr),
      "--max-downsampling", String(maxDownsampling), "--eval-timeout", String(evalTimeout),
    ] + (trainingSeed == 0 ? [] : ["--training-seed", String(trainingSeed)]) + (scheduleSteps.map { ["--schedule-steps", String($0)] } ?? [])
  }
}
