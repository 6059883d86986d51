import ArgumentParser
import Foundation
import NASArch
import NASLatency
import NASSpace
import NASStore
import NASSupport

/// Sampled (optionally shrunk) architectures of a space, the networks the validation and
/// throughput commands work on.
enum LatencyWorkload {
  static func architectures(_ space: SearchSpace, count: Int, seed: UInt64, shrink: Bool) throws -> [Architecture] {
    var rng = SeededGenerator(seed: seed)
    let shrinker = ChannelShrinker()
    return try (0..<count).map { _ in
      do {
        let arch = try space.sample(using: &rng)
        return shrink ? shrinker.shrink(arch, using: &rng) : arch
      } catch { throw CLI.Failure(description: "\(error)") }
    }
  }
}

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
    var policy = NetworkTimingPolicy.standard
    policy.rounds = rounds
    let loaded = try CLI.loadSpace(space)
    let archs = try LatencyWorkload.architectures(loaded, count: count, seed: seed, shrink: shrink)
    let store = try LatencyFiles.openExisting(db)
    let kind = shrink ? "shrunk" : "sampled"
    let interrupt = Interrupt.install(message: "stopping after this network (Ctrl-C again to quit now)")
    let progress = ProgressReporter(label: "network timings", total: count * passes, enabled: !quiet)
    let result: ValidationResult
    let profile: DeviceProfile
    do {
      let predictor = try LatencyService.predictor(store: store, threads: threads)
      profile = predictor.profile
      let database = try LatencyDatabase(store: store, profile: profile)
      let parameters = [
        "count": "\(count)", "seed": "\(seed)", "kind": kind, "threads": "\(threads)", "rounds": "\(rounds)", "passes": "\(passes)",
        "references": "\(references)",
      ]
      let run = try store.createRun(
        kind: .validate, name: "validate \(kind)", commandLine: CommandLine.arguments.joined(separator: " "),
        parametersJSON: (try? JSONOutput.string(parameters)) ?? "{}", spacePath: space, spaceHash: loaded.sourceHash, seed: seed,
        toolVersion: NASVersion.string, deviceProfile: profile.id)
      database.run = run
      let drift = DriftReferences.choose(from: try database.driftReferenceCandidates(), count: references)
      result = try LatencyValidator(threads: threads, policy: policy, passes: passes, references: drift).validate(
        archs, predictor: predictor, progress: progress, shouldStop: { interrupt.isSet },
        record: { arch, timing, predicted, ratio in
          try database.recordNetwork(arch, timing: timing, purpose: "validate", predicted: predicted, driftRatio: ratio)
        })
      let corrected = result.driftCorrected
      try store.recordValidation(
        LatencyValidationRecord(
          profileID: profile.id, spacePath: space, spaceHash: loaded.sourceHash, kind: kind, count: result.count, seed: seed,
          rmseMilliseconds: result.rmse, mape: result.mape, within5: result.within5, within10: result.within10,
          driftRatio: corrected.map { TimingSummary.median($0.ratios) }, correctedMape: corrected?.accuracy.mape,
          correctedWithin5: corrected?.accuracy.within5, correctedWithin10: corrected?.accuracy.within10), run: run)
      try store.setRunStatus(run, result.count < count || result.rows.contains { $0.passes.count < passes } ? .interrupted : .finished)
    } catch {
      throw CLI.Failure(description: "\(error)")
    }
    progress.finish()
    if json {
      print(try JSONOutput.string(LatencyValidateOutput(space: space, kind: kind, seed: seed, threads: threads, profile: profile.id, result: result)))
      return
    }
    let rows = verbose ? result.rows : Array(result.rows.sorted { abs($0.errorPercent) > abs($1.errorPercent) }.prefix(5))
    var t = TextTable(
      headers: ["network", "predicted ms", "measured ms", "error %", "corrected ms", "corrected error %"], rightAligned: [1, 2, 3, 4, 5])
    for r in rows {
      t.append([
        r.name, Format.fixed(r.predicted, 3), Format.fixed(r.measured, 3), Format.fixed(r.errorPercent, 1),
        r.correctedMeasured.map { Format.fixed($0, 3) } ?? "-", r.correctedErrorPercent.map { Format.fixed($0, 1) } ?? "-",
      ])
    }
    if !verbose { print("largest errors:") }
    print(t.render())
    print(
      "\n\(space) (\(kind), seed \(seed), \(threads) thread\(threads == 1 ? "" : "s"), profile \(profile.id)): \(result.count) networks, "
        + "\(result.passes) pass\(result.passes == 1 ? "" : "es")  "
        + "RMSE \(Format.fixed(result.rmse, 3)) ms  MAPE \(Format.fixed(result.mape, 2))%  "
        + "within 5%: \(Format.fixed(100 * result.within5, 1))%  within 10%: \(Format.fixed(100 * result.within10, 1))%  "
        + "mean error \(Format.fixed(result.meanError, 1))%")
    if let c = result.driftCorrected {
      print(
        "drift: \(c.references) reference networks ran \(c.ratios.map { Format.fixed($0, 3) }.joined(separator: ", "))x their `nas bench` times "
          + "(chunk by chunk); against measurements divided by that: MAPE \(Format.fixed(c.accuracy.mape, 2))%  within 5%: \(Format.fixed(100 * c.accuracy.within5, 1))%  "
          + "within 10%: \(Format.fixed(100 * c.accuracy.within10, 1))%  mean error \(Format.fixed(c.accuracy.meanError, 1))%")
    } else {
      print("drift: not measured (no reference networks: --references 0, or `nas bench` timed no whole networks)")
    }
  }
}

struct LatencyValidateOutput: Encodable {
  var space: String
  var kind: String
  var seed: UInt64
  var threads: Int
  var profile: String
  var count: Int
  var passes: Int
  var rmse: Double
  var mape: Double
  var within5: Double
  var within10: Double
  var meanError: Double
  /// Figures against each measurement divided by its chunk's drift ratio; absent without references.
  var driftCorrected: ValidationResult.DriftCorrection?
  var networks: [ValidationResult.Row]
  init(space: String, kind: String, seed: UInt64, threads: Int, profile: String, result: ValidationResult) {
    self.space = space
    self.kind = kind
    self.seed = seed
    self.threads = threads
    self.profile = profile
    count = result.count
    passes = result.passes
    rmse = result.rmse
    mape = result.mape
    within5 = result.within5
    within10 = result.within10
    meanError = result.meanError
    driftCorrected = result.driftCorrected
    networks = result.rows
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

  struct Output: Encodable {
    var space: String
    var architectures: Int
    var predictions: Int
    var seconds: Double
    var perSecond: Double
    var microsecondsEach: Double
    var shrunk: Bool
  }

  func validate() throws {
    try OptionChecks.positive(count, "--count")
    try OptionChecks.positive(passes, "--passes")
    guard !count.multipliedReportingOverflow(by: passes).overflow else { throw ValidationError("--count × --passes is too large") }
    try OptionChecks.inputFile(space, "--space")
  }

  func run() throws {
    let archs = try LatencyWorkload.architectures(try CLI.loadSpace(space), count: count, seed: seed, shrink: shrink)
    let predictor = try profile.predictor()
    var sink = 0.0
    let start = Date()
    for _ in 0..<passes {
      for a in archs { sink += try LatencyCLI.run { () throws(LatencyError) in try predictor.milliseconds(a) } }
    }
    let seconds = Date().timeIntervalSince(start)
    let n = count * passes
    let out = Output(
      space: space, architectures: count, predictions: n, seconds: seconds, perSecond: Double(n) / seconds,
      microsecondsEach: seconds * 1e6 / Double(n), shrunk: shrink)
    if json {
      print(try JSONOutput.string(out))
    } else {
      print(
        "\(space)\(shrink ? " (shrunk)" : ""): \(n) predictions in \(Format.fixed(seconds, 3)) s: "
          + "\(out.perSecond.isFinite ? Format.grouped(Int(out.perSecond)) : "too many to time") architectures/s, \(Format.fixed(out.microsecondsEach, 1)) us each (mean \(Format.fixed(sink / Double(n), 3)) ms)")
    }
  }
}
