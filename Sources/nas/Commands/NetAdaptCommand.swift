import ArgumentParser
import Foundation
import NASNetAdapt
import NASStore
import NASSupport

/// `nas netadapt`: MobileNetV3-style layer-wise shrinking of an architecture to a latency target.
struct NetAdaptCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "netadapt",
    abstract: "Shrink an architecture layer by layer until it meets a latency target.",
    discussion: """
      NetAdapt with MobileNetV3's changes. Each iteration asks the latency predictor for a cut of \
      --step-ratio of the seed's latency; every prunable width (one expansion, or the width a chain \
      of residual blocks shares, or the stem, head and plain convolutions) is cut to the largest \
      channel count that meets it; the filters of smallest L2 norm go and the rest keep their \
      trained weights; each proposal is fine-tuned for --short-steps and the best (--select) is \
      kept. At the target the network is fine-tuned for --long-epochs and written with its \
      weights. Every proposal is recorded in the results database; Ctrl-C stops cleanly and \
      --resume continues.

      The target: --target-ms or --target-ratio when given. Without them, a seed that is a search \
      result (its architecture is an evaluation of a search run in --db, or its header names the run, \
      as nas search writes DB-search-run-N-best.arch) continues that search: the target is the search's \
      --target-ms on its device profile (another profile is refused), the NetAdapt run records the search \
      run it continues (nas db runs shows it), and a seed already at or under it ends at once with exit \
      status 0. Any other seed gets \(NetAdaptTarget.defaultRatio) of its predicted latency. The target, why, the seed's predicted \
      latency and an estimate of the time are printed before the run starts.

      Cost on two cores with the defaults (Fashion-MNIST proxy, --max-downsampling 32): a \
      proposal takes about 5-10 s (20 steps of 128 images plus scoring 2,000 images), an \
      iteration one proposal per prunable width (about 27 for MobileNetV2, 3-4 minutes), and \
      halving MobileNetV2's latency with 1% steps about 50 iterations (2-3 hours), plus about \
      2 minutes per epoch for the seed's training (without --weights) and the final fine-tune. \
      The seed's latency tables are measured first (a few minutes) when missing.
      """)

  @Argument(help: "The seed architecture (.arch).") var seed: String
  @Option(help: "Trained proxy weights of the seed (safetensors from nas train); without them the seed is trained first.")
  var weights: String?
  @Option(parsing: .unconditional, help: "Latency target in milliseconds (default: the seed's search's target, else --target-ratio \(NetAdaptTarget.defaultRatio)).") var targetMs: Double?
  @Option(parsing: .unconditional, help: "Latency target as a fraction of the seed's predicted latency (0.5 halves it).") var targetRatio: Double?
  @Option(parsing: .unconditional, help: "Latency cut per iteration, as a fraction of the seed's latency.") var stepRatio = NetAdaptSettings.defaults.stepRatio
  @Option(parsing: .unconditional, help: "Fine-tune steps per proposal.") var shortSteps = NetAdaptSettings.defaults.shortSteps
  @Option(parsing: .unconditional, help: "Epochs of the final fine-tune (and of the seed's training without --weights).") var longEpochs = NetAdaptSettings.defaults.longEpochs
  @Option(help: "slope (accuracy change per ms saved, MobileNetV3) or accuracy (original NetAdapt).") var select = NetAdaptSettings.defaults.selection
  @Option(help: "Only 'train': NetAdapt fine-tunes inherited weights, which the other evaluators cannot.") var evaluator = "train"
  @Option(help: "fashion-mnist or a directory of IDX or CIFAR-10 files.") var data = NetAdaptSettings.defaults.data
  @Option(parsing: .unconditional, help: "Images per training step.") var batchSize = NetAdaptSettings.defaults.batchSize
  @Option(parsing: .unconditional, help: "Peak learning rate of the seed's training and the final fine-tune.") var lr = NetAdaptSettings.defaults.learningRate
  @Option(parsing: .unconditional, help: "Peak learning rate of the proposals' short fine-tunes.") var shortLr = NetAdaptSettings.defaults.shortLearningRate
  @Option(parsing: .unconditional, help: "Validation images the proposals are ranked on.") var rankImages = NetAdaptSettings.defaults.rankImages
  @Option(parsing: .unconditional, help: "Largest total stride of the proxy network.") var maxDownsampling = NetAdaptSettings.defaults.maxDownsampling
  @Option(parsing: .unconditional, help: "Channel counts are multiples of this.") var divisor = NetAdaptSettings.defaults.divisor
  @Option(parsing: .unconditional, help: "Stop after this many iterations even above the target.") var maxIterations: Int?
  @Option(parsing: .unconditional, help: "Seed of the training runs.") var trainingSeed = NetAdaptSettings.defaults.seed
  @Option(parsing: .unconditional, help: "Training threads (default: every core this process may run on).") var threads: Int?
  @Option(help: "Device profile id or prefix (nas latency profiles); default: this machine at one thread.") var device: String?
  @Option(help: "The results database.") var db = ResultsStore.defaultPath
  @Option(help: "Folder for the final .arch and weights (default: the database's folder).") var out: String?
  @Option(help: "A name for the run (--resume finds the newest run of that name).") var name: String?
  @Flag(help: "Continue the newest netadapt run (of --name, if given) with the same settings.") var resume = false
  @Flag(help: "Print a JSON summary on standard output.") var json = false
  @Flag(help: "No progress output.") var quiet = false

  func validate() throws {
    guard evaluator == "train" else {
      throw ValidationError("--evaluator must be train: NetAdapt fine-tunes each proposal from inherited weights, which \(evaluator) cannot do")
    }
    do { try settings.validate() } catch { throw ValidationError(error.description) }
    try OptionChecks.positive(lr, "--lr")
    try OptionChecks.positive(shortLr, "--short-lr")
    try OptionChecks.positive(threads, "--threads")
    try OptionChecks.data(data)
    try OptionChecks.inputFile(weights, "--weights")
    try OptionChecks.database(db)
    try OptionChecks.outputFolder(out, "--out")
  }

  var settings: NetAdaptSettings {
    var s = NetAdaptSettings()
    s.targetMs = targetMs
    s.targetRatio = targetRatio
    s.stepRatio = stepRatio
    s.shortSteps = shortSteps
    s.longEpochs = longEpochs
    s.selection = select
    s.divisor = divisor
    s.data = data
    s.maxDownsampling = maxDownsampling
    s.batchSize = batchSize
    s.learningRate = lr
    s.shortLearningRate = shortLr
    s.rankImages = rankImages
    s.maxIterations = maxIterations
    s.seed = trainingSeed
    s.weightsPath = weights
    s.threads = max(1, threads ?? UsableCores.count)
    return s
  }

  func run() throws {
    let arch = try CLI.loadArchitecture(seed)
    var request = NetAdaptRequest(seedPath: seed, seed: arch, settings: settings, databasePath: db)
    request.outputDirectory = out
    request.name = name
    request.resume = resume
    request.device = device
    request.commandLine = CLI.commandLine
    request.toolVersion = NASVersion.string
    let interrupt = Interrupt.install(message: "stopping after the current proposal (Ctrl-C again to quit now; --resume continues)")
    let runner = NetAdaptRunner(request: request, log: { FileHandleWriter.writeStderr($0 + "\n") }, showProgress: !quiet)
    let plan = try runner.prepare(stop: interrupt.flag)
    if let met = plan.alreadyMetReport {
      print(json ? try JSONOutput.document(met) : met.message)
      return
    }
    var summary = try runner.run(plan, stop: interrupt.flag)
    summary.reportFile = CLI.writeReport(run: summary.run, kind: "netadapt", database: db, folder: out)
    print(json ? try JSONOutput.document(summary) : summary.text(databasePath: ResultsStore.redacted(db)))
    if summary.interrupted { throw ExitCode(130) }
  }
}

extension NetAdaptSelection: ExpressibleByArgument {}
