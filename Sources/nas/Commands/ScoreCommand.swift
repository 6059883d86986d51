import ArgumentParser
import Foundation
import NASArch
import NASEval
import NASSupport
import NASTrain

/// `nas score`: a zero-cost score of an untrained architecture.
struct ScoreCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "score",
    abstract: "Score an untrained architecture with a zero-cost proxy.",
    discussion: """
      Scores the architecture's proxy network (the one `nas train` trains) without training it: \
      zen (Zen-score: feature change under a small input perturbation plus batch-norm scaling, \
      32 draws of batch 16), naswot (log-determinant of the binary activation-code kernel over \
      128 training images) or synflow (sum of |weight x gradient| with absolute weights, no \
      batch norm and an all-ones input). Scores rank architectures; they are not accuracies.
      """)

  @Argument(help: "An .arch file.") var file: String
  @Option(help: "zen, naswot or synflow.") var proxy: ZeroCostProxy
  @Option(help: "Data set whose image shape (and NASWOT images) the proxy network takes.") var data = "fashion-mnist"
  @Option(parsing: .unconditional, help: "Seed for initialisation, inputs and the NASWOT batch.") var seed: UInt64 = 0
  @Option(parsing: .unconditional, help: "Zen-score repeats.") var repeats = 32
  @Option(parsing: .unconditional, help: "Batch size (default 16 for zen, 128 for naswot).") var batch: Int?
  @Option(parsing: .unconditional, help: "Largest total stride of the proxy network.") var maxDownsampling = TrainEvaluator.Configuration.defaultMaxDownsampling
  @Option(parsing: .unconditional, help: "Threads.") var threads = 2
  @Flag(help: "Print JSON.") var json = false

  func validate() throws {
    try OptionChecks.positive(repeats, "--repeats")
    if let batch { try OptionChecks.atLeast(2, batch, "--batch", why: " (batch norm needs two images)") }
    try OptionChecks.positive(maxDownsampling, "--max-downsampling")
    try OptionChecks.positive(threads, "--threads")
    try OptionChecks.data(data)
  }

  func run() throws {
    let arch = try CLI.loadArchitecture(file)
    var settings = ZeroCostSettings(zenRepeats: repeats, seed: seed)
    if let batch {
      settings.zenBatch = batch
      settings.naswotBatch = batch
    }
    let evaluator = try ZeroCostEvaluator(
      configuration: .init(proxy: proxy, data: data, maxDownsampling: maxDownsampling, settings: settings), threads: threads)
    let report = try evaluator.report(arch)
    print(json ? try JSONOutput.document(report) : report.text)
  }
}

extension ZeroCostProxy: ExpressibleByArgument {}
