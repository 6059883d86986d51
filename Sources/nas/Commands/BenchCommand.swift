import ArgumentParser
import Foundation
import NASArch
import NASLatency
import NASSpace
import NASStore
import NASSupport
import NASTrain

struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Run the unit microbenchmarks that the latency predictor is fitted from.",
    discussion: """
      Times every distinct unit configuration the spaces (default: search-spaces/*.space) and the \
      reference networks (default: search-spaces/reference/*.arch) can produce, configurations \
      between the choice grid taken from shrunk networks, and a few whole networks for the \
      overhead term; stores the samples under this machine's device profile and fits the \
      predictor. Interrupt with Ctrl-C and run again to resume: measured configurations are reused.
      """)

  @Option(name: .customLong("space"), help: "A .space file (repeatable).") var spaces: [String] = []
  @Option(name: .customLong("arch"), help: "An .arch file whose units to add (repeatable).") var archs: [String] = []
  @Flag(help: "Leave out the shipped reference networks.") var noReferences = false
  @Option(parsing: .unconditional, help: "Threads (pthreadpool).") var threads = 1
  @Option(parsing: .unconditional, help: "Passes over the plan: samples per configuration, and timings per whole network (one each per pass).") var rounds = Microbenchmark().rounds
  @Option(parsing: .unconditional, help: "Shrunk networks per space whose units are measured off the choice grid.") var offgrid = 40
  @Option(parsing: .unconditional, help: "Whole networks per space timed for the network overhead term.") var fitNetworks = BenchPlan.Options().fitNetworksPerSpace
  @Option(parsing: .unconditional, help: "Seed of the sampled and shrunk networks and of the measuring order.") var seed: UInt64 = 0xBE7C4
  @Option(help: "The results database.") var db = ResultsStore.defaultPath
  @Flag(help: "No progress output.") var quiet = false
  @Flag(help: "Print JSON.") var json = false

  func validate() throws {
    try OptionChecks.positive(threads, "--threads")
    try OptionChecks.positive(rounds, "--rounds")
    try OptionChecks.nonNegative(offgrid, "--offgrid")
    try OptionChecks.nonNegative(fitNetworks, "--fit-networks")
    for space in spaces { try OptionChecks.inputFile(space, "--space") }
    for arch in archs { try OptionChecks.inputFile(arch, "--arch") }
    try OptionChecks.database(db)
  }

  func run() throws {
    let spacePaths = spaces.isEmpty ? try ShippedFiles.spaces() : spaces
    let loaded = try spacePaths.map { (path: $0, space: try CLI.loadSpace($0)) }
    let archPaths = archs + (!noReferences && spaces.isEmpty ? ShippedFiles.references() : [])
    let references = try archPaths.map { try CLI.loadArchitecture($0) }
    let store = try ResultsStore.open(path: db)
    let interrupt = Interrupt.install(message: "stopping after this chunk (Ctrl-C again to quit now)")
    let progress = ProgressReporter(label: "samples", total: 0, enabled: !quiet)
    let outcome: LatencyService.TablesOutcome
    do {
      defer { progress.finish() }
      outcome = try LatencyService.ensureTables(
        store: store, spaces: loaded, references: references, threads: threads,
        options: BenchPlan.Options(offGridNetworksPerSpace: offgrid, fitNetworksPerSpace: fitNetworks, seed: seed),
        benchmark: Microbenchmark(threads: threads, rounds: rounds, seed: seed), commandLine: CLI.commandLine,
        toolVersion: NASVersion.string, progress: progress, shouldStop: { interrupt.isSet })
    }
    if json {
      print(try JSONOutput.document(outcome))
      return
    }
    let b = outcome.bench
    print("device profile \(outcome.profile.id): \(outcome.profile.summary)")
    print("training engine on this machine: \(TrainingKernels.current.summary)")
    print(
      "\(b.configurations) configurations (\(b.alreadyMeasured) already measured, \(b.measured) measured now, "
        + "\(b.samples) samples); \(b.networksMeasured) of \(b.networks) networks timed; "
        + "\(ProgressReporter.formatDuration(b.seconds))")
    if b.interrupted {
      print("interrupted: run the same command again to resume (run \(outcome.run))")
      throw ExitCode(130)
    }
    if let fit = outcome.fit { print(fit.text) }
  }
}
