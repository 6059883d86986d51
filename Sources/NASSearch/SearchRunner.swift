import Foundation
import NASArch
import NASEval
import NASLatency
import NASSpace
import NASStore
import NASSupport

/// Runs a whole `nas search`: latency tables for the device (measured first when missing),
/// the evaluator, a new or resumed run in the results store, the search loop, and at the end
/// the end-to-end measurement of the best candidates, the Pareto front, the best `.arch` and
/// the SVG plot.
public struct SearchRunner {
  public var request: SearchRequest
  /// Messages for the user (warnings, phases); the command prints them on standard error.
  public var log: (String) -> Void
  /// Whether progress bars are drawn.
  public var showProgress: Bool

  public init(request: SearchRequest, log: @escaping (String) -> Void = { _ in }, showProgress: Bool = true) {
    self.request = request
    self.log = log
    self.showProgress = showProgress
  }

  /// Runs the search until its budget is spent or `stop` is set (then the run is marked
  /// interrupted and `--resume` continues it).
  public func run(stop: AtomicFlag = AtomicFlag()) throws -> SearchSummary {
    let r = request
    let store = try ResultsStore.open(path: r.databasePath)
    let predictor = try latencyPredictor(store: store, stop: stop)
    let range = try predictedRange(predictor)
    var warnings = rangeWarnings(range)
    for w in warnings { log("warning: \(w)") }

    // In successive halving each rung is its own evaluator configuration (its steps of the
    // top rung's schedule); the run is recorded under the top rung's.
    let rungOptions = r.fidelity.map { f in f.rungSteps.map { r.evaluatorOptions.rung(steps: $0, scheduleSteps: f.rungSteps.last!) } }
    let identity: EvaluatorIdentity
    let rungIdentities: [EvaluatorIdentity]?
    do {
      rungIdentities = try rungOptions?.map { options throws(EvaluationError) in try EvaluatorFactory.identity(r.evaluatorSpec, options: options) }
      identity = try rungIdentities?.last ?? EvaluatorFactory.identity(r.evaluatorSpec, options: r.evaluatorOptions)
    } catch {
      throw SearchError.evaluator("\(error)")
    }
    // Evaluating here (or in child processes), the evaluator is built once now: its data set is
    // loaded, and a missing one reported, before the first trial. A queued search leaves both to
    // its workers, so the searching host needs no data set.
    var evaluator: (any Evaluator)?
    var rungs: [RungEvaluation.Rung]?
    if !r.queue {
      let local: any Evaluator
      do { local = try EvaluatorFactory.make(r.evaluatorSpec, options: rungOptions?.first ?? r.evaluatorOptions) } catch {
        throw SearchError.evaluator(error.description)
      }
      if let rungOptions, let rungIdentities {
        rungs = try Self.rungEvaluators(request: r, local: local, options: rungOptions, identities: rungIdentities)
      }
      if r.workers > 1, let worker = r.workerCommand {
        evaluator = ProcessEvaluator(
          executable: worker.executable, arguments: worker.arguments, timeoutSeconds: r.evaluatorOptions.commandTimeout,
          name: identity.name, configurationJSON: identity.configurationJSON)
      } else {
        evaluator = local
      }
    }
    if !identity.givesAccuracy {
      warnings.append("\(identity.name) gives a score, not an accuracy: the reward multiplies that score, so compare rewards only within this run")
      log("warning: \(warnings.last!)")
    }

    var configuration = SearchConfiguration(
      spacePath: r.spacePath, spaceHash: r.space.contentHash, reward: r.reward, strategy: r.strategy, strategyOptions: r.strategyOptions,
      trials: r.trials, seconds: r.seconds, evaluator: identity.configurationJSON, seed: r.seed, workers: r.workers,
      device: predictor.profile.id, measureTop: r.measureTop)
    configuration.fidelity = r.fidelity
    configuration.rungEvaluators = rungIdentities?.map(\.configurationJSON)
    let lease = try openRun(store: store, configuration: configuration, stop: stop)
    let run = lease.run
    let recorder = StoreRecorder(
      store: store, run: run, evaluatorName: identity.name, deviceProfile: predictor.profile.id,
      spacePath: r.spacePath, reward: r.reward)
    defer { recorder.close() }

    let done = (try recorder.loadState())?.completedTrials ?? 0
    // In successive halving the number of evaluations depends on the promotions: no total.
    let progress = ProgressReporter(
      label: r.fidelity == nil ? "trials" : "evaluations", total: r.fidelity == nil ? r.trials ?? 0 : 0, initial: done, enabled: showProgress)
    let services: SearchServices
    if let fidelity = r.fidelity, let rungs, let rungIdentities {
      let rungEvaluation = RungEvaluation(
        store: store, schedule: fidelity, rungs: rungs, configurations: rungIdentities.map(\.configurationJSON), log: log)
      services = SearchServices(predictLatency: { arch in try predictor.milliseconds(arch) }, evaluate: { rungEvaluation.evaluate($0) })
    } else if let evaluator {
      services = SearchServices(
        predictLatency: { arch in try predictor.milliseconds(arch) },
        evaluate: { requests in Self.evaluateConcurrently(requests.map(\.architecture), with: evaluator) })
    } else {
      let task = WorkerTask(
        evaluateArguments: r.evaluateArguments, timeoutSeconds: r.evaluatorOptions.commandTimeout, evaluatorName: identity.name,
        configurationJSON: identity.configurationJSON)
      let rungTasks = rungIdentities.map { identities in
        zip(identities.indices, identities).map { k, rungIdentity in
          WorkerTask(
            evaluateArguments: r.rungEvaluateArguments[k], timeoutSeconds: r.evaluatorOptions.commandTimeout, evaluatorName: rungIdentity.name,
            configurationJSON: rungIdentity.configurationJSON,
            continuation: .init(
              continueFrom: k > 0 ? identities[k - 1].configurationJSON : nil, keepsCheckpoint: k < identities.count - 1,
              steps: r.fidelity!.rungSteps[k]))
        }
      }
      let queued = try QueuedEvaluation(store: store, run: run, task: task, rungTasks: rungTasks, log: log)
      log("queueing \(r.workers) candidate(s) at a time in \(store.path): start `nas worker --db \(store.path)` on each host that evaluates")
      services = SearchServices(predictLatency: { arch in try predictor.milliseconds(arch) }, evaluate: { try queued.evaluate($0) })
    }
    let loop = SearchLoop(
      space: r.space, configuration: configuration, services: services, recorder: recorder, progress: progress, stopRequested: stop)
    let ending: SearchLoop.Ending
    do {
      ending = try loop.run()
    } catch {
      _ = try? lease.finish(.failed)
      throw error
    }
    progress.finish()
    if ending == .interrupted {
      try finish(lease, .interrupted)
      return try SearchSummary.make(
        store: store, run: run, configuration: configuration, range: range, warnings: warnings, interrupted: true, files: nil)
    }
    if r.fidelity != nil {
      let usage = try store.checkpointUsage(run: run)
      if usage.count > 0 {
        try store.deleteCheckpoints(run: run)
        log("deleted the run's \(usage.count) training checkpoints (\(Format.si(Double(usage.bytes))) bytes): the search is finished")
      }
    }
    try measureBest(store: store, run: run, predictor: predictor, stop: stop)
    let files = try writeOutputs(store: store, run: run, configuration: configuration)
    try finish(lease, .finished)
    return try SearchSummary.make(
      store: store, run: run, configuration: configuration, range: range, warnings: warnings, interrupted: false, files: files)
  }

  // MARK: - Latency

  /// The predictor of the requested profile; for this machine, the space's unit tables are
  /// measured first when any configuration is missing (shown with progress, resumable).
  func latencyPredictor(store: ResultsStore, stop: AtomicFlag) throws -> LatencyPredictor {
    let r = request
    if r.device == nil {
      let profile = DeviceProfile.current(threads: 1)
      let counts = try store.sampleCounts(profile: profile.id, statistic: SampleStatistic.current)
      let grid = try r.space.unitConfigurations().map { UnitKey.text(UnitKey.normalized($0.unit, input: $0.input)) }
      let missing = grid.filter { (counts[$0] ?? 0) == 0 }.count
      if missing > 0 {
        log(
          "measuring \(missing) unit configurations of \(r.spacePath) on this machine (\(profile.cpuModel), 1 thread) for the "
            + "latency predictor; done once and kept in \(ResultsStore.redacted(r.databasePath))")
        let progress = ProgressReporter(label: "latency samples", total: 0, enabled: showProgress)
        let outcome = try LatencyService.ensureTables(
          store: store, spaces: [(r.spacePath, r.space)], references: [], threads: 1,
          options: BenchPlan.Options(offGridNetworksPerSpace: 0, fitNetworksPerSpace: 6), commandLine: r.commandLine,
          toolVersion: r.toolVersion, progress: progress, shouldStop: { stop.isSet })
        progress.finish()
        if outcome.bench.interrupted { throw SearchError.interruptedBeforeStart }
      }
    }
    do { return try LatencyService.predictorCheckingSpeed(store: store, profileID: r.device, log: log) } catch {
      throw SearchError.latency("\(error)")
    }
  }

  /// The smallest and largest predicted latency (ms) of any architecture of the space.
  func predictedRange(_ predictor: LatencyPredictor) throws -> (min: Double, max: Double) {
    try predictor.predictedRange(of: request.space)
  }

  func rangeWarnings(_ range: (min: Double, max: Double)) -> [String] {
    let reward = request.reward
    let t = reward.targetMilliseconds
    let span = "the space's predicted latency is \(Format.fixed(range.min, 2))–\(Format.fixed(range.max, 2)) ms on this device"
    let middle = Format.fixed((range.min + range.max) / 2, 1)
    // With one exponent, (LAT/T)^w = LAT^w · T^-w: T scales every reward alike and never
    // changes which candidate wins; only a kink at T (alpha ≠ beta) makes a target bind.
    let binding =
      reward.alpha == reward.beta
      ? "with one exponent (--w) the target only scales the reward and the trade-off comes from w; a target binds with "
        + "--alpha 0 --beta -1 (MnasNet's hard constraint) inside that range, e.g. --target-ms \(middle)"
      : "a target inside that range binds (try --target-ms \(middle))"
    if t >= range.max {
      return ["--target-ms \(Format.fixed(t, 2)) admits the whole space (\(span)); \(binding)"]
    }
    if t < range.min {
      return ["--target-ms \(Format.fixed(t, 2)) is below every architecture of the space (\(span)); the search still ranks them by reward"]
    }
    return []
  }

  // MARK: - Runs

  /// A new run, or with `--resume` the stored one after checking its settings, taking it over
  /// from a process that died (a live owner is refused) and queueing again the evaluations
  /// whose process died. Losing the run to another process later stops this one.
  func openRun(store: ResultsStore, configuration: SearchConfiguration, stop: AtomicFlag) throws -> RunLease {
    let r = request
    let parameters = try JSONOutput.string(configuration)
    let owner = RunOwner.thisProcess()
    nonisolated(unsafe) let log = self.log
    let onLost: @Sendable () -> Void = {
      log("warning: another process took this run over (this one was silent too long); stopping")
      stop.set()
    }
    let lifecycle = RunLifecycle(store: store, kind: .search, owner: owner, onLost: onLost)
    guard r.resume else {
      return try lifecycle.create(
        .init(
          name: r.name, commandLine: r.commandLine, parametersJSON: parameters, spacePath: r.spacePath, spaceHash: r.space.contentHash,
          seed: r.seed, toolVersion: r.toolVersion, deviceProfile: configuration.device))
    }
    let resumed: RunLifecycle.Resumed
    do {
      // A finished search resumes too: its budget may grow.
      resumed = try lifecycle.resume(name: r.name, allowFinished: true) { stored in
        let previous: SearchConfiguration
        do { previous = try JSONDecoder().decode(SearchConfiguration.self, from: Data(stored.parameters.utf8)) } catch {
          throw SearchError.storedRunUnreadable(run: stored.id, reason: "\(error)")
        }
        return previous.differences(from: configuration)
      }
    } catch let error as RunLifecycleError {
      switch error {
      case .nothingToResume: throw SearchError.nothingToResume(name: r.name, database: ResultsStore.redacted(r.databasePath))
      case .settingsDiffer(let run, let differences): throw SearchError.settingsDiffer(run: run, differences: differences)
      case .finished: throw error  // not raised: allowFinished
      case .inUse(let message): throw SearchError.runInUse(message)
      }
    }
    let stale = resumed.staleTrials
    if !stale.isEmpty {
      log("resuming run \(resumed.stored.id): \(stale.count) evaluation(s) whose process died are queued again (trials \(stale.map(String.init).joined(separator: ", ")))")
    } else {
      log("resuming run \(resumed.stored.id) (\(resumed.stored.status))")
    }
    return resumed.lease
  }

  /// Records the run's final status, or says that another process owns the run now.
  func finish(_ lease: RunLease, _ status: RunStatus) throws {
    if try !lease.finish(status) {
      log("warning: run \(lease.run) was taken over by another process; its status is that process's")
    }
  }

  // MARK: - Evaluation

  /// Successive halving's evaluator of each rung: one trainer per rung sharing the data set
  /// `local` loaded, or with `--workers` a child process per evaluation with the rung's settings.
  static func rungEvaluators(request r: SearchRequest, local: any Evaluator, options: [EvaluatorFactory.Options], identities: [EvaluatorIdentity])
    throws -> [RungEvaluation.Rung]
  {
    if r.workers > 1, let worker = r.workerCommand {
      return identities.indices.map { k in
        .process(
          ProcessEvaluator(
            executable: worker.executable, arguments: ["_evaluate"] + r.rungEvaluateArguments[k] + ["--threads", String(r.evaluatorOptions.threads)],
            timeoutSeconds: r.evaluatorOptions.commandTimeout, name: identities[k].name, configurationJSON: identities[k].configurationJSON))
      }
    }
    guard let first = local as? TrainEvaluator else {
      throw SearchError.evaluator("--fidelity trains candidates in rungs, so it needs --evaluator train, not \(local.name)")
    }
    return try options.map { o in
      var configuration = first.configuration
      configuration.training.steps = o.training.steps
      configuration.training.scheduleSteps = o.training.scheduleSteps
      do { return .local(try TrainEvaluator(configuration: configuration, splits: first.splits)) } catch {
        throw SearchError.evaluator("\(error)")
      }
    }
  }

  /// Evaluates a batch at once (one thread per candidate; each may be a child process).
  static func evaluateConcurrently(_ archs: [Architecture], with evaluator: any Evaluator) -> [Result<Double, EvaluationError>] {
    let results = UnsafeSendableBox([Result<Double, EvaluationError>?](repeating: nil, count: archs.count))
    let lock = NSLock()
    DispatchQueue.concurrentPerform(iterations: archs.count) { i in
      let r = evaluator.evaluate(archs[i]).map(\.value)
      lock.lock()
      results.value[i] = r
      lock.unlock()
    }
    return results.value.map { $0! }
  }

  // MARK: - The end of a run

  /// Measures the best distinct candidates end to end when the profile is this machine's.
  func measureBest(store: ResultsStore, run: Int64, predictor: LatencyPredictor, stop: AtomicFlag) throws {
    let here = DeviceProfile.current(threads: predictor.profile.threads)
    guard here.id == predictor.profile.id, request.measureTop > 0 else {
      if request.measureTop > 0 { log("not measuring end to end: the profile \(predictor.profile.id) is not this machine") }
      return
    }
    var seen = Set<String>()
    let best = try store.finishedEvaluations(run: run).filter { $0.status == .ok }.sorted { $0.ranksAbove($1) }
      .filter { seen.insert($0.hash).inserted }.prefix(request.measureTop)
    for e in best where e.measuredLatencyMs == nil && !stop.isSet {
      do {
        let arch = try DSL.parseArchitecture(e.canonicalText, file: "<run \(run)>")
        let (m, load) = try MachineLoad.during { try NetworkTimer.measure(arch, threads: predictor.profile.threads) }
        try store.setMeasuredLatency(evaluation: e.id, milliseconds: m.milliseconds)
        try store.setMeasurementLoad(evaluation: e.id, otherBusyCores: load?.otherBusyCores)
        if let warning = load?.warning(measuring: "candidate \(e.hash.prefix(12)) (trial \(e.trial.map(String.init) ?? "?"))", milliseconds: m.milliseconds) {
          log(warning)
        }
      } catch {
        log("warning: could not measure \(e.hash.prefix(12)) end to end: \(error)")
      }
    }
  }

  /// Writes the best architecture and the plot next to the database (or to `outputDirectory`),
  /// named after the database and the run: `nas-search-run-3-best.arch` and
  /// `nas-search-run-3.svg` for run 3 of `results/nas.sqlite`.
  func writeOutputs(store: ResultsStore, run: Int64, configuration: SearchConfiguration) throws -> SearchSummary.Files {
    let directory = request.outputDirectory ?? OutputFile.defaultFolder(forDatabase: request.databasePath)
    let stem = "\(OutputFile.prefix(forDatabase: request.databasePath))-search-run-\(run)"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let evaluations = try store.finishedEvaluations(run: run).filter { $0.status == .ok && $0.accuracy != nil }
    var files = SearchSummary.Files(bestArchitecture: nil, plot: nil)
    if let best = evaluations.max(by: { $1.ranksAbove($0) }) {
      var arch = try DSL.parseArchitecture(best.canonicalText, file: "<run \(run)>")
      arch.name = "\(stem)-best"
      let path = "\(directory)/\(stem)-best.arch"
      let header = "# nas search run \(run): reward \(Format.fixed(best.reward ?? 0, 4)), accuracy \(Format.fixed(best.accuracy ?? 0, 4)), "
        + "predicted \(Format.fixed(best.predictedLatencyMs ?? 0, 3)) ms on \(configuration.device)\n"
      try OutputFile.write(header + arch.canonicalText(), to: path)
      files.bestArchitecture = path
    }
    let latencies = evaluations.map { $0.predictedLatencyMs ?? .nan }
    let front = Set(ParetoFront.indices(zip(latencies, evaluations).map { ($0, $1.accuracy!) }))
    let bestIndex = evaluations.indices.max { evaluations[$1].ranksAbove(evaluations[$0]) }
    let points = evaluations.indices.map { i in
      SearchPlot.Point(latencyMilliseconds: latencies[i], accuracy: evaluations[i].accuracy!, onFront: front.contains(i), isBest: i == bestIndex)
    }
    let plot = SearchPlot(
      title: "nas search run \(run): \(configuration.spacePath), target \(Format.fixed(configuration.reward.targetMilliseconds, 2)) ms",
      points: points, targetMilliseconds: configuration.reward.targetMilliseconds)
    let svgPath = "\(directory)/\(stem).svg"
    try OutputFile.write(plot.svg(), to: svgPath)
    files.plot = svgPath
    return files
  }
}

/// A mutable value shared with `concurrentPerform`'s closure under a lock.
final class UnsafeSendableBox<T>: @unchecked Sendable {
  var value: T
  init(_ value: T) { self.value = value }
}
