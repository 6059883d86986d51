import Foundation
import NASArch
import NASStore
import NASSupport
import NASTrain

/// Where a NetAdapt run stands, saved in `run_state` after every iteration.
public struct NetAdaptState: Codable, Hashable, Sendable {
  public static let key = "netadapt"
  /// Iterations completed (0: only the seed).
  public var iteration: Int
  /// Canonical text of the current architecture.
  public var architecture: String
  /// The current proxy weights (safetensors).
  public var weightsPath: String
  public var latencyMs: Double
  /// Accuracy on the ranking images.
  public var accuracy: Double
  public var seedLatencyMs: Double
  public var targetMs: Double
}

/// The iterations of NetAdapt, from a state to the target: generate proposals, carry the
/// weights over (``ChannelSurgery``), fine-tune each briefly, keep the best, commit.
public struct NetAdaptLoop {
  public var settings: NetAdaptSettings
  public var store: ResultsStore
  public var run: Int64
  /// Folder for each iteration's weights.
  public var directory: String
  public var predict: (Architecture) throws -> Double
  public var tuner: FineTuner
  public var parse: (String) throws -> Architecture
  public var log: (String) -> Void = { _ in }
  public var showProgress = false

  public init(
    settings: NetAdaptSettings, store: ResultsStore, run: Int64, directory: String, predict: @escaping (Architecture) throws -> Double,
    tuner: FineTuner, parse: @escaping (String) throws -> Architecture
  ) {
    self.settings = settings
    self.store = store
    self.run = run
    self.directory = directory
    self.predict = predict
    self.tuner = tuner
    self.parse = parse
  }

  public enum Ending: Equatable { case targetMet, iterationLimit, interrupted }

  /// Saves the seed's weights and the state before the first iteration.
  public func start(seed: Architecture, weights: WeightSet, seedMs: Double, targetMs: Double, accuracy: Double) throws -> NetAdaptState {
    let path = try save(weights, iteration: 0)
    let state = NetAdaptState(
      iteration: 0, architecture: seed.canonicalText(), weightsPath: path, latencyMs: seedMs, accuracy: accuracy, seedLatencyMs: seedMs,
      targetMs: targetMs)
    try store.recordNetAdaptIteration(
      run: run, iteration: 0, architecture: seed, predictedLatencyMs: seedMs, accuracy: accuracy, cut: nil, proposals: 0, chosen: nil,
      stateKey: NetAdaptState.key, state: try JSONEncoder().encode(state))
    return state
  }

  /// Iterates from `state` until the target is met, the iteration limit is reached or `stop`
  /// is set; returns the last committed state.
  public func iterate(from start: NetAdaptState, stop: AtomicFlag) throws -> (NetAdaptState, Ending) {
    var state = start
    let delta = settings.stepRatio * state.seedLatencyMs
    let generator = ProposalGenerator(divisor: settings.divisor)
    // A hair of tolerance so a prediction equal to the target in floating point counts as met.
    while state.latencyMs > state.targetMs * (1 + 1e-9) {
      if stop.isSet { return (state, .interrupted) }
      if let m = settings.maxIterations, state.iteration >= m { return (state, .iterationLimit) }
      let i = state.iteration + 1
      let arch = try parse(state.architecture)
      let weights: WeightSet
      do { weights = try Safetensors.read(path: state.weightsPath) } catch { throw NetAdaptError.resume(error.description) }
      var reduction = min(delta, state.latencyMs - state.targetMs)
      var proposals: [Proposal]
      do {
        proposals = try generator.proposals(for: arch, currentMs: state.latencyMs, reduction: reduction, predict: predict)
        // Late in a run no single width may be able to cut δ alone (the widest are gone):
        // then the cut is halved until one can, rather than stopping short of the target.
        while proposals.isEmpty && reduction > delta / 64 {
          reduction /= 2
          proposals = try generator.proposals(for: arch, currentMs: state.latencyMs, reduction: reduction, predict: predict)
        }
      } catch {
        throw NetAdaptError.latency("\(error)")
      }
      guard !proposals.isEmpty else {
        throw NetAdaptError.noProposal(iteration: i, latencyMs: state.latencyMs, targetMs: state.targetMs, cutMs: reduction)
      }
      let earlier = Dictionary(
        try store.netAdaptProposals(run: run, iteration: i).filter { $0.status == .ok }.map { ("\($0.kind) \($0.firstUnit) \($0.channelsAfter)", $0) },
        uniquingKeysWith: { a, _ in a })
      let progress = ProgressReporter(label: "iteration \(i) proposals", total: proposals.count, enabled: showProgress)
      var best: (proposal: Proposal, score: Double, accuracy: Double, weights: WeightSet?)? = nil
      for p in proposals {
        if stop.isSet {
          progress.finish()
          return (state, .interrupted)
        }
        let saved = state.latencyMs - p.predictedMs
        var accuracy: Double
        var tuned: WeightSet? = nil
        if let e = earlier[p.key], let a = e.accuracy {
          accuracy = a
        } else {
          let begin = Date()
          let outcome: FineTuner.Outcome
          do {
            outcome = try fineTune(p, from: arch, weights: weights, iteration: i, stop: stop)
          } catch {
            try record(p, iteration: i, accuracy: nil, slope: nil, message: "\(error)", seconds: Date().timeIntervalSince(begin))
            log("warning: iteration \(i), \(p.label): \(error)")
            progress.advance(note: "failed: \(p.label)")
            continue
          }
          if outcome.stoppedEarly {
            progress.finish()
            return (state, .interrupted)
          }
          accuracy = outcome.accuracy
          tuned = outcome.weights
          try record(
            p, iteration: i, accuracy: accuracy, slope: (accuracy - state.accuracy) / saved, message: nil,
            seconds: Date().timeIntervalSince(begin))
        }
        let score = settings.selection == .slope ? (accuracy - state.accuracy) / saved : accuracy
        if best == nil || score > best!.score { best = (p, score, accuracy, tuned) }
        progress.advance(note: "\(p.label): \(Format.fixed(accuracy * 100, 1))%")
      }
      progress.finish()
      guard var chosen = best else { throw NetAdaptError.training("iteration \(i): every proposal's fine-tune failed (see the warnings)") }
      if chosen.weights == nil {
        // Its accuracy was committed before an interruption: the fine-tune is deterministic, so
        // running it again gives the same weights.
        let outcome = try fineTune(chosen.proposal, from: arch, weights: weights, iteration: i, stop: stop)
        if outcome.stoppedEarly { return (state, .interrupted) }
        chosen.weights = outcome.weights
      }
      let path = try save(chosen.weights!, iteration: i)
      let next = NetAdaptState(
        iteration: i, architecture: chosen.proposal.architecture.canonicalText(), weightsPath: path, latencyMs: chosen.proposal.predictedMs,
        accuracy: chosen.accuracy, seedLatencyMs: state.seedLatencyMs, targetMs: state.targetMs)
      let p = chosen.proposal
      try store.recordNetAdaptIteration(
        run: run, iteration: i, architecture: p.architecture, predictedLatencyMs: p.predictedMs, accuracy: chosen.accuracy, cut: p.label,
        proposals: proposals.count, chosen: (p.width.kind.rawValue, p.width.units.first ?? 0, p.channelsAfter), stateKey: NetAdaptState.key,
        state: try JSONEncoder().encode(next))
      if state.weightsPath != path, state.iteration > 0 { try? FileManager.default.removeItem(atPath: state.weightsPath) }
      log(
        "iteration \(i): \(p.label), \(Format.fixed(p.predictedMs, 3)) ms (target \(Format.fixed(state.targetMs, 3))), "
          + "accuracy \(Format.fixed(chosen.accuracy * 100, 2))% of \(proposals.count) proposals")
      state = next
    }
    return (state, .targetMet)
  }

  func fineTune(_ p: Proposal, from arch: Architecture, weights: WeightSet, iteration: Int, stop: AtomicFlag) throws -> FineTuner.Outcome {
    let inherited = try ChannelSurgery.shrink(weights, from: tuner.proxy(arch), to: tuner.proxy(p.architecture))
    // Every proposal of an iteration sees the same batches, so they are ranked on equal terms.
    return try tuner.train(p.architecture, from: inherited, budget: .short, seed: settings.seed &+ UInt64(iteration), shouldStop: { stop.isSet })
  }

  func record(_ p: Proposal, iteration: Int, accuracy: Double?, slope: Double?, message: String?, seconds: Double) throws {
    try store.recordNetAdaptProposal(
      run: run, architecture: p.architecture,
      StoredNetAdaptProposal(
        iteration: iteration, kind: p.width.kind.rawValue, firstUnit: p.width.units.first ?? 0, lastUnit: p.width.units.last ?? 0,
        channelsBefore: p.channelsBefore, channelsAfter: p.channelsAfter, hash: p.architecture.canonicalHash, predictedLatencyMs: p.predictedMs,
        accuracy: accuracy, slope: slope, status: accuracy == nil ? .failed : .ok, message: message, wallSeconds: seconds))
  }

  func save(_ weights: WeightSet, iteration: Int) throws -> String {
    let path = "\(directory)/iteration-\(iteration).safetensors"
    do {
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
      try Safetensors.write(weights, to: path)
    } catch {
      throw NetAdaptError.output(path: path, reason: "\(error)")
    }
    return path
  }
}
