import ArgumentParser
import Foundation
import NASArch
import NASLatency
import NASSpace
import NASStore
import NASSupport

struct LatencyValidate: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "validate",
    abstract: "Sample architectures, predict and measure each; print RMSE, MAPE and the share within 5% and 10%.")
  @Option(help: "A .space file.") var space: String
  @Option(parsing: .unconditional, help: "How many architectures.") var count = 100
  @Option(parsing: .unconditional, help: "Random seed.") var seed: UInt64 = 1
  @Flag(help: "Shrink each sampled network to random channel counts (multiples of 8), off the choice grid.") var shrink = false
  @Option(parsing: .unconditional, help: "Threads (pthreadpool).") var threads = 1
  @Option(parsing: .unconditional, help: "Interleaved rounds each network is timed in per pass; a pass's latency is its fastest run.")
  var rounds = NetworkTimingPolicy.standard.rounds
  @Option(parsing: .unconditional, help: "Passes over all the networks, minutes apart; the measured latency is the fastest pass, as `nas bench` keeps.")
  var passes = 4
  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "Networks timed by `nas bench` to time again with every chunk, measuring how much the machine's speed drifted since (0: none).",
      valueName: "n")) var references = 8
  @Option(help: "The results database.") var db = ResultsStore.defaultPath
  @Flag(help: "Print every network.") var verbose = false
  @Flag(help: "No progress output.") var quiet = false
  @Flag(help: "Print JSON.") var json = false

  func validate() throws {
    try OptionChecks.positive(count, "--count")
    try OptionChecks.positive(threads, "--threads")
    try OptionChecks.nonNegative(references, "--references")
    try OptionChecks.positive(rounds, "--rounds")
    try OptionChecks.positive(passes, "--passes")
    guard !count.multipliedReportingOverflow(by: passes).overflow else { throw ValidationError("--count × --passes is too large") }
    try OptionChecks.inputFile(space, "--space")
    try OptionChecks.database(db)
  }

  func run() throws {
    var validation = LatencyValidationRun(spacePath: space, space: try CLI.loadSpace(space))
    validation.count = count
    validation.seed = seed
    validation.shrink = shrink
    validation.threads = threads
    validation.policy.rounds = rounds
    validation.passes = passes
    validation.references = references
    validation.commandLine = CLI.commandLine
    validation.toolVersion = NASVersion.string
    let store = try LatencyTableTransfer.openExisting(db)
    let interrupt = Interrupt.install(message: "stopping after this network (Ctrl-C again to quit now)")
    let progress = ProgressReporter(label: "network timings", total: count * passes, enabled: !quiet)
    let report: LatencyValidationReport
    do {
      defer { progress.finish() }
      report = try validation.run(store: store, progress: progress, shouldStop: { interrupt.isSet })
    }
    print(json ? try JSONOutput.document(report) : report.text(verbose: verbose))
  }
}

struct LatencyThroughput: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "throughput", abstract: "How many architectures per second the predictor prices (what search and NetAdapt pay).")
  @Option(help: "A .space file.") var space: String
  @Option(parsing: .unconditional, help: "Distinct architectures to predict.") var count = 1000
  @Option(parsing: .unconditional, help: "Passes over them.") var passes = 5
  @Option(parsing: .unconditional, help: "Random seed.") var seed: UInt64 = 1
  @Flag(help: "Shrink each sampled network off the choice grid (exercises the fitted model).") var shrink = false
  @OptionGroup var profile: LatencyProfileOptions
  @Flag(help: "Print JSON.") var json = false

  func validate() throws {
    try OptionChecks.positive(count, "--count")
    try OptionChecks.positive(passes, "--passes")
    guard !count.multipliedReportingOverflow(by: passes).overflow else { throw ValidationError("--count × --passes is too large") }
    try OptionChecks.inputFile(space, "--space")
  }

  func run() throws {
    let archs = try SampledNetworks.architectures(try CLI.loadSpace(space), count: count, seed: seed, shrink: shrink)
    let result = try PredictorThroughput.measure(try profile.predictor(), architectures: archs, passes: passes, space: space, shrunk: shrink)
    print(json ? try JSONOutput.document(result) : result.text)
  }
}
