import ArgumentParser
import Foundation
import NASArch
import NASLatency
import NASStore
import NASSupport

struct LatencyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "latency", abstract: "Measure, fit, predict and validate latency on this device.",
    subcommands: [
      LatencyMeasure.self, LatencyPredict.self, LatencyFit.self, LatencyValidate.self, LatencyThroughput.self, LatencyImport.self,
      LatencyExport.self, LatencyProfiles.self,
    ])
}

/// Options shared by the commands that read latency tables.
struct LatencyProfileOptions: ParsableArguments {
  @Option(help: "Device profile id (or a unique prefix); default: this machine at --threads.") var device: String?
  @Option(parsing: .unconditional, help: "Threads of this machine's profile.") var threads = 1
  @Option(help: "The results database.") var db = ResultsStore.defaultPath

  func validate() throws {
    try OptionChecks.positive(threads, "--threads")
  }

  func open() throws -> (ResultsStore, DeviceProfile) {
    let store = try LatencyTableTransfer.openExisting(db)
    return (store, try LatencyDatabase.resolveProfile(id: device, threads: threads, in: store))
  }

  func predictor() throws -> LatencyPredictor {
    try LatencyService.predictor(store: try LatencyTableTransfer.openExisting(db), profileID: device, threads: threads)
  }
}

struct LatencyPredict: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "predict", abstract: "Predict an architecture's latency from the tables, with a per-unit breakdown.")
  @Argument(help: "An .arch file.") var file: String
  @OptionGroup var profile: LatencyProfileOptions
  @Flag(help: "Print JSON.") var json = false

  func run() throws {
    let arch = try CLI.loadArchitecture(file)
    let predictor = try profile.predictor()
    let report = LatencyPredictionReport(file: file, profile: predictor.profile, prediction: try predictor.predict(arch))
    print(json ? try JSONOutput.document(report) : report.text)
  }
}

struct LatencyFit: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fit",
    abstract: "Fit the latency predictor from the stored samples and whole-network timings, and store it.")
  @OptionGroup var profile: LatencyProfileOptions
  @Option(help: "Force a model form (macs, features, local); default: the lowest held-out error.") var model: UnitLatencyModel.Kind?
  @Flag(help: "Print JSON.") var json = false

  func run() throws {
    let (store, p) = try profile.open()
    let report = try LatencyDatabase(store: store, profile: p).fit(kind: model).1
    print(json ? try JSONOutput.document(report) : report.text)
  }
}

extension UnitLatencyModel.Kind: ExpressibleByArgument {}

struct LatencyProfiles: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "profiles", abstract: "List the device profiles with samples.")
  @Option(help: "The results database.") var db = ResultsStore.defaultPath

  func run() throws {
    print(try LatencyTableTransfer.profilesTable(store: try LatencyTableTransfer.openExisting(db)).render())
  }
}

struct LatencyMeasure: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "measure", abstract: "Build an architecture as an XNNPACK network with random weights and time it.")
  @Argument(help: "An .arch file.") var file: String
  @Option(parsing: .unconditional, help: "Threads (pthreadpool); 1 as phone benchmarks use one big core.") var threads = 1
  @Option(parsing: .unconditional, help: "Rounds of timed runs; the latency is the fastest run.") var rounds = NetworkTimingPolicy.standard.rounds
  @Option(parsing: .unconditional, help: "Milliseconds of timed runs per round (at least 4 runs).")
  var roundMs = NetworkTimingPolicy.standard.roundMilliseconds
  @Flag(help: "Also time every unit on its own and compare their sum with the network.") var perUnit = false
  @Flag(help: "Print JSON.") var json = false

  /// The longest round --round-ms allows: the runs of a round are kept in memory, and a minute
  /// is far past where more runs change the fastest one.
  static let longestRoundMilliseconds = 60_000.0

  func validate() throws {
    try OptionChecks.positive(threads, "--threads")
    try OptionChecks.positive(rounds, "--rounds")
    try OptionChecks.positive(roundMs, "--round-ms")
    guard roundMs <= Self.longestRoundMilliseconds else {
      throw ValidationError("--round-ms must be at most \(Format.fixed(Self.longestRoundMilliseconds, 0)) (a minute per round), not \(roundMs)")
    }
  }

  func run() throws {
    let arch = try CLI.loadArchitecture(file)
    var policy = NetworkTimingPolicy.standard
    policy.rounds = rounds
    policy.roundMilliseconds = roundMs
    let report = NetworkMeasurementReport(
      file: file, measurement: try NetworkTimer.measure(arch, threads: threads, policy: policy),
      units: perUnit ? try NetworkTimer.measureUnits(arch, threads: threads) : nil)
    print(json ? try JSONOutput.document(report) : report.text)
  }
}
