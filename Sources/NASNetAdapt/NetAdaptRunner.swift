import Foundation
import NASArch
import NASLatency
import NASSpace
import NASStore
import NASSupport
import NASTrain

/// What `nas netadapt` asks for.
public struct NetAdaptRequest: Sendable {
  public var seedPath: String
  public var seed: Architecture
  public var settings: NetAdaptSettings
  public var databasePath: String
  /// Folder for the final `.arch`, its weights and the per-iteration weights (default: the database's).
  public var outputDirectory: String?
  public var name: String?
  public var resume = false
  /// Device profile id or prefix; nil: this machine at one thread.
  public var device: String?
  /// Whether to time the seed and the final network end to end (this machine only).
  public var measure = true
  public var commandLine = "nas netadapt"
  public var toolVersion = ""

  public init(seedPath: String, seed: Architecture, settings: NetAdaptSettings, databasePath: String) {
    self.seedPath = seedPath
    self.seed = seed
    self.settings = settings
    self.databasePath = databasePath
  }
}

/// Runs a whole `nas netadapt`: the latency predictor (the seed's unit tables measured first
/// when missing), the data, a new or resumed `netadapt` run, the seed's weights (trained first
/// when not given), the iterations, the final long fine-tune, the files and the summary.
public struct NetAdaptRunner {
  public var request: NetAdaptRequest
  public var log: (String) -> Void
  public var showProgress: Bool
  /// The data (tests pass a tiny in-memory set); nil loads `settings.data`.
  public var splits: DataSplits?

  public init(request: NetAdaptRequest, log: @escaping (String) -> Void = { _ in }, showProgress: Bool = true, splits: DataSplits? = nil) {
    self.request = request
    self.log = log
    self.showProgress = showProgress
    self.splits = splits
  }

  /// ``prepare(stop:)`` then ``run(_:stop:)``; a seed already under its search's target is a
  /// ``NetAdaptError/target(_:)`` here (the command checks ``NetAdaptPlan/alreadyMetReport`` itself).
  public func run(stop: AtomicFlag = AtomicFlag()) throws -> NetAdaptSummary {
    let plan = try prepare(stop: stop)
    if let met = plan.alreadyMetReport { throw NetAdaptError.target(met.message) }
    return try run(plan, stop: stop)
  }

  /// Carries out a plan from ``prepare(stop:)``: creates or resumes the run and shrinks the seed.
  public func run(_ plan: NetAdaptPlan, stop: AtomicFlag = AtomicFlag()) throws -> NetAdaptSummary {
    let r = request
    let (store, predictor, settings, seedMs, targetMs) = (plan.store, plan.predictor, plan.settings, plan.seedMs, plan.targetMs)
    guard let tuner = plan.tuner else { throw NetAdaptError.target(plan.alreadyMetReport?.message ?? "nothing to do") }
    let predict: (Architecture) throws -> Double = { try predictor.milliseconds($0) }
    let (lease, stored) = try openRun(store: store, settings: settings, origin: plan.target.origin?.run, stop: stop)
    let run = lease.run
    let directory = (r.outputDirectory ?? OutputFile.defaultFolder(forDatabase: r.databasePath))
    var loop = NetAdaptLoop(
      settings: settings, store: store, run: run, directory: "\(directory)/\(outputStem(run: run))", predict: predict, tuner: tuner,
      parse: { try DSL.parseArchitecture($0, file: "<netadapt run \(run)>") })
    loop.log = log
    loop.showProgress = showProgress
    do {
      var state: NetAdaptState
      if let stored {
        state = stored
        log("resuming netadapt run \(run) after iteration \(state.iteration) (\(Format.fixed(state.latencyMs, 3)) ms)")
      } else {
        guard let s = try seedState(loop: loop, tuner: tuner, settings: settings, seedMs: seedMs, targetMs: targetMs, stop: stop) else {
          return try finish(lease: lease, settings: settings, seedMs: seedMs, targetMs: targetMs, interrupted: true)
        }
        state = s
      }
      let ending: NetAdaptLoop.Ending
      (state, ending) = try loop.iterate(from: state, stop: stop)
      if ending == .interrupted {
        return try finish(lease: lease, settings: settings, seedMs: seedMs, targetMs: targetMs, interrupted: true)
      }
      return try finalize(
        state: state, loop: loop, tuner: tuner, store: store, lease: lease, directory: directory, settings: settings, predictor: predictor,
        limit: ending == .iterationLimit, stop: stop)
    } catch {
      _ = try? lease.finish(.failed)
      throw error
    }
  }

  /// The seed's weights (read, or trained for the long budget) and the state before iteration 1;
  /// nil when interrupted while training.
  func seedState(
    loop: NetAdaptLoop, tuner: FineTuner, settings: NetAdaptSettings, seedMs: Double, targetMs: Double, stop: AtomicFlag
  ) throws -> NetAdaptState? {
    let seed = request.seed
    let weights: WeightSet
    let accuracy: Double
    if let path = settings.weightsPath {
      do { weights = try Safetensors.read(path: path) } catch { throw NetAdaptError.weights(path: path, reason: error.description) }
      do { accuracy = try tuner.accuracy(seed, weights: weights) } catch { throw NetAdaptError.weights(path: path, reason: "\(error)") }
      log("seed weights \(path): \(Format.fixed(accuracy * 100, 2))% on the ranking images")
    } else {
      log("training the seed first (\(tuner.longSteps) steps; pass --weights to start from trained weights)")
      let progress = ProgressReporter(label: "seed training steps", total: tuner.longSteps, enabled: showProgress)
      let outcome = try tuner.train(seed, from: nil, budget: .long, seed: settings.seed, progress: progress, shouldStop: { stop.isSet })
      progress.finish()
      if outcome.stoppedEarly { return nil }
      (weights, accuracy) = (outcome.weights, outcome.accuracy)
    }
    return try loop.start(seed: seed, weights: weights, seedMs: seedMs, targetMs: targetMs, accuracy: accuracy)
  }

  /// The long fine-tune of the last network, its scores, files and end-to-end latency.
  /// The name (without extension) of a run's files and per-iteration folder beside the
  /// database: `nas-netadapt-run-3` for run 3 of `results/nas.sqlite`, so two databases in one
  /// folder do not overwrite each other's.
  func outputStem(run: Int64) -> String { "\(OutputFile.prefix(forDatabase: request.databasePath))-netadapt-run-\(run)" }

  func finalize(
    state: NetAdaptState, loop: NetAdaptLoop, tuner: FineTuner, store: ResultsStore, lease: RunLease, directory: String,
    settings: NetAdaptSettings, predictor: LatencyPredictor, limit: Bool, stop: AtomicFlag
  ) throws -> NetAdaptSummary {
    let run = lease.run
    var final = try loop.parse(state.architecture)
    final.name = "\(request.seed.name ?? "netadapt")-netadapt-\(run)"
    let inherited: WeightSet
    do { inherited = try Safetensors.read(path: state.weightsPath) } catch { throw NetAdaptError.resume(error.description) }
    log("final fine-tune of the \(Format.fixed(state.latencyMs, 3)) ms network (\(tuner.longSteps) steps)")
    let progress = ProgressReporter(label: "final fine-tune steps", total: tuner.longSteps, enabled: showProgress)
    let outcome = try tuner.train(final, from: inherited, budget: .long, seed: settings.seed &+ 0xF1A1, progress: progress, shouldStop: { stop.isSet })
    progress.finish()
    if outcome.stoppedEarly {
      return try finish(lease: lease, settings: settings, seedMs: state.seedLatencyMs, targetMs: state.targetMs, interrupted: true)
    }
    let scores = try tuner.finalScores(final, weights: outcome.weights)
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let archPath = "\(directory)/\(outputStem(run: run)).arch", weightsPath = "\(directory)/\(outputStem(run: run)).safetensors"
    var weights = outcome.weights
    weights.metadata["nas.deployment_hash"] = final.canonicalHash
    do {
      let header = "# nas netadapt run \(run) from \(request.seedPath): predicted \(Format.fixed(state.latencyMs, 3)) ms "
        + "(seed \(Format.fixed(state.seedLatencyMs, 3)) ms) on \(settings.device), validation accuracy \(Format.fixed(scores.validation, 4))\n"
      try OutputFile.write(header + final.canonicalText(), to: archPath)
      try Safetensors.write(weights, to: weightsPath)
    } catch {
      throw NetAdaptError.output(path: archPath, reason: "\(error)")
    }
    let evaluation = try store.beginEvaluation(
      run: run, architecture: final, trial: state.iteration, evaluator: "train", evaluatorConfigJSON: try JSONOutput.string(settings),
      predictedLatencyMs: state.latencyMs, deviceProfile: settings.device)
    try store.finishEvaluation(
      evaluation, .init(status: .ok, accuracy: scores.validation, reward: nil, message: nil, reused: false, wallSeconds: 0))
    var summary = try finish(lease: lease, settings: settings, seedMs: state.seedLatencyMs, targetMs: state.targetMs, interrupted: false)
    summary.stoppedAtIterationLimit = limit
    summary.finalPredictedMs = state.latencyMs
    summary.finalValidationAccuracy = scores.validation
    summary.finalTestAccuracy = scores.test
    summary.architectureFile = archPath
    summary.weightsFile = weightsPath
    summary.furtherTraining = FurtherTraining.command(architecture: archPath, weights: weightsPath, settings: settings)
    if request.measure, DeviceProfile.current(threads: predictor.profile.threads).id == predictor.profile.id {
      do {
        let (m, load) = try MachineLoad.during { try NetworkTimer.measure(final, threads: predictor.profile.threads) }
        try store.setMeasuredLatency(evaluation: evaluation, milliseconds: m.milliseconds)
        try store.setMeasurementLoad(evaluation: evaluation, otherBusyCores: load?.otherBusyCores)
        if let warning = load?.warning(measuring: "the final network", milliseconds: m.milliseconds) { log(warning) }
        summary.finalMeasuredMs = m.milliseconds
        let (seedTiming, seedLoad) = try MachineLoad.during { try NetworkTimer.measure(request.seed, threads: predictor.profile.threads) }
        if let warning = seedLoad?.warning(measuring: "the seed", milliseconds: seedTiming.milliseconds) { log(warning) }
        summary.seedMeasuredMs = seedTiming.milliseconds
      } catch {
        log("warning: could not time the networks end to end: \(error)")
      }
    }
    return summary
  }

  func finish(lease: RunLease, settings: NetAdaptSettings, seedMs: Double, targetMs: Double, interrupted: Bool) throws -> NetAdaptSummary {
    let (store, run) = (lease.store, lease.run)
    if try !lease.finish(interrupted ? .interrupted : .finished) {
      log("warning: run \(run) was taken over by another process; its status is that process's")
    }
    return NetAdaptSummary(
      run: run, seed: request.seed.name ?? request.seedPath, seedLatencyMs: seedMs, targetMs: targetMs,
      path: NetAdaptSummary.steps(try store.netAdaptIterations(run: run)), interrupted: interrupted, stoppedAtIterationLimit: false)
  }

  // MARK: - Latency and runs

  /// The predictor; for this machine, the seed's units and shrunk variants of it (for the
  /// fitted model that predicts the channel counts no table has) are measured first when the
  /// seed's units are missing.
  func latencyPredictor(store: ResultsStore, stop: AtomicFlag) throws -> LatencyPredictor {
    let r = request
    if r.device == nil {
      let profile = DeviceProfile.current(threads: 1)
      let counts = try store.sampleCounts(profile: profile.id, statistic: SampleStatistic.current)
      let units = try r.seed.placedUnits().map { UnitKey.text(UnitKey.normalized($0.unit, input: $0.input)) }
      let missing = units.filter { (counts[$0] ?? 0) == 0 }.count
      if missing > 0 {
        var rng = SeededGenerator(seed: 0x5EED)
        let shrinker = ChannelShrinker(divisor: r.settings.divisor)
        let variants = (0..<8).map { _ in shrinker.shrink(r.seed, using: &rng) }
        log(
          "measuring \(r.seed.name ?? "the seed")'s units and 8 narrower variants on this machine (1 thread) for the latency "
            + "predictor; done once and kept in \(ResultsStore.redacted(r.databasePath))")
        let progress = ProgressReporter(label: "latency samples", total: 0, enabled: showProgress)
        let outcome = try LatencyService.ensureTables(
          store: store, spaces: [], references: [r.seed] + variants, threads: 1,
          options: BenchPlan.Options(offGridNetworksPerSpace: 0, fitNetworksPerSpace: 0), commandLine: r.commandLine,
          toolVersion: r.toolVersion, progress: progress, shouldStop: { stop.isSet })
        progress.finish()
        if outcome.bench.interrupted { throw NetAdaptError.latency("interrupted while measuring the latency tables; run again to continue measuring") }
      }
    }
    // NetAdapt's target is a fraction of the seed's predicted latency, but its final
    // measurement is compared with predictions: a host that drifted since the tables shows here.
    do { return try LatencyService.predictorCheckingSpeed(store: store, profileID: r.device, log: log) } catch {
      throw NetAdaptError.latency("\(error)")
    }
  }

  /// A new run, or with `--resume` the newest netadapt run (of `--name`) and its saved state,
  /// taken over from a process that died (a live owner is refused). Losing the run to another
  /// process later stops this one.
  func openRun(store: ResultsStore, settings: NetAdaptSettings, origin: Int64? = nil, stop: AtomicFlag) throws -> (RunLease, NetAdaptState?) {
    let r = request
    let parameters = try JSONOutput.string(settings)
    let owner = RunOwner.thisProcess()
    nonisolated(unsafe) let log = self.log
    let onLost: @Sendable () -> Void = {
      log("warning: another process took this run over (this one was silent too long); stopping")
      stop.set()
    }
    let lifecycle = RunLifecycle(store: store, kind: .netadapt, owner: owner, onLost: onLost)
    guard r.resume else {
      let lease = try lifecycle.create(
        .init(
          name: r.name, commandLine: r.commandLine, parametersJSON: parameters, spacePath: r.seedPath, spaceHash: r.seed.canonicalHash,
          seed: settings.seed, toolVersion: r.toolVersion, deviceProfile: settings.device))
      if let origin { try store.setContinuesRun(lease.run, origin: origin) }
      return (lease, nil)
    }
    let resumed: RunLifecycle.Resumed
    do {
      resumed = try lifecycle.resume(name: r.name, allowFinished: false) { stored in
        let previous: NetAdaptSettings
        do { previous = try JSONDecoder().decode(NetAdaptSettings.self, from: Data(stored.parameters.utf8)) } catch {
          throw NetAdaptError.resume("run \(stored.id)'s settings are unreadable (\(error))")
        }
        return previous.differences(from: settings)
      }
    } catch RunLifecycleError.finished(let run) {
      throw NetAdaptError.resume("run \(run) already finished; its network is \(outputStem(run: run)).arch")
    } catch let error as RunLifecycleError {
      throw NetAdaptError.resume(error.description)
    }
    let stored = resumed.stored
    let lease = resumed.lease
    guard let data = try store.loadState(run: stored.id, key: NetAdaptState.key) else { return (lease, nil) }
    do { return (lease, try JSONDecoder().decode(NetAdaptState.self, from: data)) } catch {
      throw NetAdaptError.resume("run \(stored.id)'s saved state is unreadable (\(error))")
    }
  }
}
