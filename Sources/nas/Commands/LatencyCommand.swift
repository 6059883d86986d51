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
    let store = try LatencyFiles.openExisting(db)
    do {
      return (store, try LatencyDatabase.resolveProfile(id: device, threads: threads, in: store))
    } catch { throw CLI.Failure(description: "\(error)") }
  }

  func predictor() throws -> LatencyPredictor {
    let store = try LatencyFiles.openExisting(db)
    do { return try LatencyService.predictor(store: store, profileID: device, threads: threads) } catch {
      throw CLI.Failure(description: "\(error)")
    }
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
    let p = try LatencyCLI.run { () throws(LatencyError) in try predictor.predict(arch) }
    if json {
      print(try JSONOutput.string(LatencyPredictOutput(file: file, profile: predictor.profile.id, prediction: p)))
      return
    }
    var t = TextTable(headers: ["unit", "configuration", "us", "from"], rightAligned: [0, 2])
    for u in p.units { t.append([String(u.index), u.unit, Format.fixed(u.microseconds, 1), u.source.rawValue]) }
    print(t.render())
    print(
      "\n\(file): predicted \(Format.fixed(p.milliseconds, 3)) ms on \(predictor.profile.id) (\(predictor.profile.summary))"
        + "\nunits \(Format.fixed(p.unitsMilliseconds, 3)) ms (\(p.measuredUnits) of \(p.units.count) measured, the rest from the fitted model)"
        + " + network overhead \(Format.fixed(p.overheadMilliseconds, 3)) ms")
  }
}

struct LatencyPredictOutput: Encodable {
  var file: String
  var profile: String
  var milliseconds: Double
  var unitsMilliseconds: Double
  var overheadMilliseconds: Double
  var units: [LatencyPrediction.UnitRow]
  init(file: String, profile: String, prediction p: LatencyPrediction) {
    self.file = file
    self.profile = profile
    milliseconds = p.milliseconds
    unitsMilliseconds = p.unitsMilliseconds
    overheadMilliseconds = p.overheadMilliseconds
    units = p.units
  }
}

struct LatencyFit: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fit",
    abstract: "Fit the latency predictor from the stored samples and whole-network timings, and store it.")
  @OptionGroup var profile: LatencyProfileOptions
  @Option(help: "Force a model form (macs, features, local); default: the lowest held-out error.") var model: String?
  @Flag(help: "Print JSON.") var json = false

  func validate() throws {
    if let model, UnitLatencyModel.Kind(rawValue: model) == nil {
      throw ValidationError("--model must be macs, features or local, not '\(model)'")
    }
  }

  func run() throws {
    let kind = model.flatMap(UnitLatencyModel.Kind.init(rawValue:))
    let (store, p) = try profile.open()
    let report: FitReport
    do { report = try LatencyDatabase(store: store, profile: p).fit(kind: kind).1 } catch {
      throw CLI.Failure(description: "\(error)")
    }
    print(json ? try JSONOutput.string(report) : LatencyFitText.render(report))
  }
}

/// The text form of a fit report.
enum LatencyFitText {
  static func render(_ r: FitReport) -> String {
    var out = "fitted on \(r.samples) samples of \(r.configurations) configurations (profile \(r.profile)) in \(Format.fixed(r.seconds, 2)) s\n"
    var t = TextTable(headers: ["model", "held-out", "MAPE %", "mean error %", "within 10%", ""], rightAligned: [1, 2, 3, 4])
    for c in r.comparisons {
      t.append([
        c.kind.rawValue, String(c.heldOut), Format.fixed(c.mape, 2), Format.fixed(c.meanError, 2), Format.fixed(100 * c.within10, 1) + "%",
        c.kind == r.chosen ? "chosen" : "",
      ])
    }
    out += "unit models on \(r.heldOutSet) (fitted without them):\n" + t.render() + "\n"
    out += String(
      format: "network overhead: measured = %.4f x sum of units + %.1f us (from %d networks)", 1 + r.overhead.proportional, r.overhead.intercept,
      r.overhead.networks)
    if !r.networks.isEmpty {
      let errors = r.networks.map { abs($0.predicted - $0.measured) / $0.measured }
      out += String(format: "; on them MAPE %.2f%%, worst %.1f%%", 100 * errors.reduce(0, +) / Double(errors.count), 100 * (errors.max() ?? 0))
    }
    return out
  }
}

struct LatencyProfiles: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "profiles", abstract: "List the device profiles with samples.")
  @Option(help: "The results database.") var db = ResultsStore.defaultPath

  func run() throws {
    let store = try LatencyFiles.openExisting(db)
    var t = TextTable(
      headers: ["id", "cpu", "cores", "threads", "backend", "precision", "samples", "configurations", "cpu identity"], rightAligned: [2, 3, 6, 7])
    for p in try store.profiles() {
      let counts = try store.sampleCounts(profile: p.id, statistic: SampleStatistic.current.rawValue)
      t.append([
        p.id, p.cpuModel, String(p.cores), String(p.threads), "\(p.backend) \(p.backendVersion)", p.precision,
        String(counts.values.reduce(0, +)), String(counts.count), DeviceProfile(record: p).identityText,
      ])
    }
    print(t.render())
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
    let m = try LatencyCLI.run { () throws(LatencyError) in try NetworkTimer.measure(arch, threads: threads, policy: policy) }
    var units: [UnitTiming]?
    if perUnit {
      units = try LatencyCLI.run { () throws(LatencyError) in try NetworkTimer.measureUnits(arch, threads: threads) }
    }
    if json {
      print(try JSONOutput.string(LatencyMeasureOutput(m, file: file, units: units)))
      return
    }
    if let units {
      for u in units { print(String(format: "%3d %10.1f us  %@", u.index, u.microseconds, u.key)) }
      let sum = units.reduce(0) { $0 + $1.microseconds }
      print(String(format: "sum of units %.3f ms, network %.3f ms, ratio %.3f", sum / 1000, m.milliseconds, m.milliseconds * 1000 / sum))
    }
    print("\(file): \(m.name ?? m.hash.prefix(12).description)  \(Format.si(Double(m.macs))) MACs  \(Format.grouped(m.params)) params")
    print(
      "latency \(Format.fixed(m.milliseconds, 3)) ms (fastest of \(m.timing.runs) runs in \(m.policy.rounds) rounds; median \(Format.fixed(m.timing.median / 1000, 3)), "
        + "p10 \(Format.fixed(m.timing.p10 / 1000, 3)), p90 \(Format.fixed(m.timing.p90 / 1000, 3)), "
        + "MAD \(Format.fixed(m.timing.mad / 1000, 3)) ms) on \(m.threads) thread\(m.threads == 1 ? "" : "s")")
  }
}

struct LatencyMeasureOutput: Encodable {
  var file: String
  var name: String?
  var hash: String
  var macs: Int
  var params: Int
  var threads: Int
  var runs: Int
  var milliseconds: Double
  var p10Milliseconds: Double
  var p90Milliseconds: Double
  var madMilliseconds: Double
  var minimumMilliseconds: Double
  var medianMilliseconds: Double
  var buildSeconds: Double
  /// With `--per-unit`: every unit timed on its own, and their sum.
  var units: [UnitTiming]?
  var unitsMilliseconds: Double?
  init(_ m: NetworkMeasurement, file: String, units: [UnitTiming]? = nil) {
    self.file = file
    name = m.name
    hash = m.hash
    macs = m.macs
    params = m.params
    threads = m.threads
    runs = m.timing.runs
    milliseconds = m.milliseconds
    p10Milliseconds = m.timing.p10 / 1000
    p90Milliseconds = m.timing.p90 / 1000
    madMilliseconds = m.timing.mad / 1000
    minimumMilliseconds = m.timing.minimum / 1000
    medianMilliseconds = m.timing.median / 1000
    buildSeconds = m.buildSeconds
    self.units = units
    unitsMilliseconds = units.map { $0.reduce(0) { $0 + $1.microseconds } / 1000 }
  }
}

/// Turns latency errors into clean command-line failures.
enum LatencyCLI {
  static func run<T>(_ body: () throws(LatencyError) -> T) throws -> T {
    do { return try body() } catch { throw CLI.Failure(description: error.description) }
  }
}
