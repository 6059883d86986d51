import ArgumentParser
import Foundation
import NASEval
import NASSearch
import NASStore
import NASSupport

/// `nas search`: MnasNet's reward over a search space, with a PPO controller, regularized
/// evolution or random search, recorded in the results database.
struct SearchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "search",
    abstract: "Search a space for accurate architectures that meet a latency target.",
    discussion: """
      Reward: ACC x (LAT/T)^w with w = alpha where LAT <= T and beta above it (--w sets both, \
      MnasNet's soft constraint; --alpha 0 --beta -1 is the hard constraint). LAT is predicted \
      for the device profile (this machine at one thread unless --device names an imported \
      profile); the space's unit tables are measured first when they are missing. Every \
      candidate is recorded in the results database; Ctrl-C stops after the trials in flight \
      and --resume continues the run.
      """)

  @Option(help: "The search space.") var space = "search-spaces/mnasnet.space"
  @Option(parsing: .unconditional, help: "Latency target T in milliseconds.") var targetMs: Double
  @Option(parsing: .unconditional, help: "Reward exponent on both sides of the target (soft constraint).") var w: Double?
  @Option(parsing: .unconditional, help: "Reward exponent where LAT <= T.") var alpha: Double?
  @Option(parsing: .unconditional, help: "Reward exponent where LAT > T.") var beta: Double?
  @Option(help: "ppo, evolution or random.") var strategy: StrategyKind = .ppo
  @Option(parsing: .unconditional, help: "Budget in trials (default 20 unless --time is given).") var trials: Int?
  @Option(help: "Budget in time, e.g. 10m or 1h30m (with --trials, whichever comes first).") var time: String?
  @OptionGroup var evaluation: EvaluatorOptions
  @Option(
    help: ArgumentHelp(
      "Successive halving: training steps of each rung, e.g. 120,360,1080 (replaces --steps; needs --evaluator train).",
      discussion: "Every candidate trains to the first rung; the best 1/eta of a rung continue from their checkpoint to the next. --trials counts candidates. At equal compute the flat default found better networks (docs/search.md, \"Successive halving\")."))
  var fidelity: String?
  @Option(parsing: .unconditional, help: "Successive halving: the best 1/eta of each rung are promoted.") var eta = FidelitySchedule.defaultEta
  @Option(parsing: .unconditional, help: "Seed of the strategy.") var seed: UInt64 = 0
  @Option(parsing: .unconditional, help: "Candidates evaluated at once, each in its own process (with --queue: queued at once).")
  var workers = 1
  @Flag(help: "Queue the candidates in --db for `nas worker` processes (on any host for a postgres:// database) to evaluate.")
  var queue = false
  @Option(parsing: .unconditional, help: "Regularized evolution: population size.") var population = 20
  @Option(parsing: .unconditional, help: "Regularized evolution: tournament size.") var tournament = 5
  @Option(help: "Device profile id or prefix (nas latency profiles); default: this machine at one thread.") var device: String?
  @Option(parsing: .unconditional, help: "How many of the best candidates to measure end to end at the end.") var measureTop = 5
  @Option(help: "The results database.") var db = ResultsStore.defaultPath
  @Option(help: "Folder for the best .arch and the SVG plot (default: the database's folder).") var out: String?
  @Option(help: "A name for the run (--resume finds the newest run of that name).") var name: String?
  @Flag(help: "Continue the newest search run (of --name, if given) with the same settings.") var resume = false
  @Flag(help: "Print a JSON summary on standard output.") var json = false
  @Flag(help: "No progress output.") var quiet = false

  func validate() throws {
    guard targetMs > 0, targetMs.isFinite else { throw ValidationError("--target-ms must be a positive number of milliseconds") }
    if w != nil && (alpha != nil || beta != nil) { throw ValidationError("give --w, or --alpha and --beta, not both") }
    if w == nil && (alpha == nil) != (beta == nil) { throw ValidationError("--alpha and --beta go together (or use --w for both)") }
    try OptionChecks.positive(trials, "--trials")
    if let time, DurationText.seconds(time) == nil { throw ValidationError("--time must be a duration like 90s, 10m or 1h30m, not '\(time)'") }
    guard workers >= 1, workers <= 64 else { throw ValidationError("--workers must be between 1 and 64") }
    guard population >= 2, tournament >= 1, tournament <= population else {
      throw ValidationError("--population must be at least 2 and --tournament between 1 and the population")
    }
    try OptionChecks.nonNegative(measureTop, "--measure-top")
    if let problem = reward.problems.first { throw ValidationError(problem) }
    if let fidelity {
      guard let schedule = FidelitySchedule.parse(fidelity, eta: eta) else {
        throw ValidationError("--fidelity takes training steps per rung separated by commas, e.g. 120,360,1080, not '\(fidelity)'")
      }
      if let problem = schedule.problem { throw ValidationError(problem) }
      guard evaluation.evaluator == "train" else {
        throw ValidationError("--fidelity trains candidates in rungs, so it needs --evaluator train, not \(evaluation.evaluator)")
      }
      guard evaluation.scheduleSteps == nil else { throw ValidationError("--fidelity sets each rung's schedule; leave out --schedule-steps") }
    }
    try OptionChecks.inputFile(space, "--space")
    try OptionChecks.database(db)
    try OptionChecks.outputFolder(out, "--out")
  }

  /// MnasNet's reward from --target-ms and --w, or --alpha and --beta (-0.07 each by default).
  var reward: Reward {
    w.map { Reward(targetMilliseconds: targetMs, w: $0) } ?? Reward(targetMilliseconds: targetMs, alpha: alpha ?? -0.07, beta: beta ?? -0.07)
  }

  func run() throws {
    let loaded = try CLI.loadSpace(space)
    let seconds = time.flatMap(DurationText.seconds)
    var request = SearchRequest(
      spacePath: space, space: loaded, reward: reward, strategy: strategy,
      trials: trials ?? (seconds == nil ? 20 : nil), seconds: seconds, evaluatorSpec: evaluation.evaluator, databasePath: db,
      commandLine: CLI.commandLine, toolVersion: NASVersion.string)
    request.strategyOptions.population = population
    request.strategyOptions.tournament = tournament
    let cores = UsableCores.count
    request.evaluatorOptions = evaluation.factoryOptions(threads: max(1, cores / workers))
    request.seed = seed
    request.workers = workers
    request.name = name
    request.resume = resume
    request.device = device
    request.measureTop = measureTop
    request.outputDirectory = out
    request.queue = queue
    request.evaluateArguments = evaluation.arguments
    if let fidelity, let schedule = FidelitySchedule.parse(fidelity, eta: eta) {
      request.fidelity = schedule
      request.rungEvaluateArguments = schedule.rungSteps.map { steps in
        var rung = evaluation
        rung.steps = steps
        rung.scheduleSteps = schedule.rungSteps.last
        return rung.arguments
      }
    }
    if workers > 1 && !queue {
      let executable = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
      let own = Bundle.main.executablePath ?? executable
      request.workerCommand = (own, ["_evaluate"] + evaluation.arguments + ["--threads", String(max(1, cores / workers))])
    }
    let interrupt = Interrupt.install(message: "stopping after the trials in flight (Ctrl-C again to quit now; --resume continues)")
    let runner = SearchRunner(request: request, log: { FileHandleWriter.writeStderr($0 + "\n") }, showProgress: !quiet)
    var summary = try runner.run(stop: interrupt.flag)
    summary.reportFile = CLI.writeReport(run: summary.run, kind: "search", database: db, folder: out)
    print(json ? try JSONOutput.document(summary) : summary.text(databasePath: ResultsStore.redacted(db)))
    if summary.interrupted { throw ExitCode(130) }
  }
}

/// The hidden worker of `nas search --workers K`: evaluates one architecture file and prints
/// the evaluation as JSON on its last line.
struct EvaluateWorkerCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "_evaluate", shouldDisplay: false)
  @OptionGroup var evaluation: EvaluatorOptions
  @Option var threads = 1
  /// A rung of successive halving: the training checkpoint to continue, and where to save this one.
  @Option var continueFrom: String?
  @Option var saveCheckpoint: String?
  @Argument var file: String

  func validate() throws {
    try OptionChecks.positive(threads, "--threads")
    if continueFrom != nil || saveCheckpoint != nil, evaluation.evaluator != "train" {
      throw ValidationError("--continue-from and --save-checkpoint need --evaluator train")
    }
  }

  func run() throws {
    let arch = try CLI.loadArchitecture(file)
    let evaluator = try EvaluatorFactory.make(evaluation.evaluator, options: evaluation.factoryOptions(threads: threads))
    let result: Evaluation
    if let trainer = evaluator as? TrainEvaluator, continueFrom != nil || saveCheckpoint != nil {
      let checkpoint = try continueFrom.map { path in
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read the checkpoint \(path)") }
        return data
      }
      let rung = trainer.evaluate(arch, continuing: checkpoint, keepCheckpoint: saveCheckpoint != nil)
      result = try rung.result.get()
      if let saveCheckpoint, let saved = rung.checkpoint { try OutputFile.write(saved, to: saveCheckpoint) }
    } else {
      result = try evaluator.evaluate(arch).get()
    }
    // Read back by the parent process (ProcessEvaluator), so the keys are the type's own.
    print(String(decoding: try JSONEncoder().encode(result), as: UTF8.self))
  }
}

extension StrategyKind: ExpressibleByArgument {}
