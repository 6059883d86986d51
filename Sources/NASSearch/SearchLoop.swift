import Foundation
import NASArch
import NASEval
import NASSpace
import NASSupport

/// The work a search delegates: latency prediction and accuracy evaluation.
public struct SearchServices: Sendable {
  /// Predicted latency in milliseconds on the search's device.
  public var predictLatency: @Sendable (Architecture) throws -> Double
  /// Accuracy (or score) of each architecture of a batch, in order; a batch holds up to
  /// `--workers` candidates, which the product evaluates in separate processes or through the
  /// database's queue. A failed evaluation is a failure in the result; a throw means the batch
  /// could not be evaluated at all (the queue's database is gone) and stops the run.
  public var evaluate: @Sendable ([EvaluationRequest]) throws -> [Result<Double, EvaluationError>]

  public init(
    predictLatency: @escaping @Sendable (Architecture) throws -> Double,
    evaluate: @escaping @Sendable ([EvaluationRequest]) throws -> [Result<Double, EvaluationError>]
  ) {
    self.predictLatency = predictLatency
    self.evaluate = evaluate
  }
}

/// One architecture to evaluate, with the identifier of its evaluation record.
public struct EvaluationRequest: Sendable {
  public var trial: Int
  public var evaluationID: Int64
  public var architecture: Architecture
}

/// Runs the ask–evaluate–tell loop of a search until its budget is spent or it is asked to stop.
public final class SearchLoop: @unchecked Sendable {
  public let space: SearchSpace
  public let configuration: SearchConfiguration
  public let services: SearchServices
  public let recorder: SearchRecorder
  /// Set from a signal handler to stop after the batch in flight.
  public let stopRequested: AtomicFlag
  private let progress: ProgressReporter?
  private(set) public var best: TrialOutcome?

  public init(
    space: SearchSpace, configuration: SearchConfiguration, services: SearchServices, recorder: SearchRecorder,
    progress: ProgressReporter?, stopRequested: AtomicFlag = AtomicFlag()
  ) {
    self.stopRequested = stopRequested
    self.space = space
    self.configuration = configuration
    self.services = services
    self.recorder = recorder
    self.progress = progress
  }

  /// How the loop ended.
  public enum Ending: String, Sendable {
    case finished, interrupted
  }

  /// Runs until the budget is spent (`.finished`) or a stop was requested (`.interrupted`).
  public func run() throws -> Ending {
    let cardinalities = space.decisions.map(\.count)
    var state =
      try recorder.loadState()
      ?? SearchState(
        strategy: AnyStrategy(
          kind: configuration.strategy, cardinalities: cardinalities, seed: configuration.seed,
          options: configuration.strategyOptions))
    let sessionStart = Date()
    func elapsed() -> Double { state.elapsedSeconds + Date().timeIntervalSince(sessionStart) }
    func budgetLeft() -> Int? {
      if let trials = configuration.trials { return max(0, trials - state.completedTrials) }
      return nil
    }
    progress?.advance(by: 0)
    while true {
      if state.pending.isEmpty {
        if stopRequested.isSet { break }
        if let left = budgetLeft(), left == 0 { break }
        if let seconds = configuration.seconds, elapsed() >= seconds { break }
        let count = min(max(1, configuration.workers), budgetLeft() ?? configuration.workers)
        for _ in 0..<count {
          state.pending.append(PendingTrial(trial: state.nextTrial, assignment: state.strategy.ask()))
          state.nextTrial += 1
        }
        try recorder.saveState(state)
      }
      let outcomes = try evaluate(state.pending)
      for (p, o) in zip(state.pending, outcomes) {
        state.strategy.tell(p.assignment, reward: o.reward)
        if o.status == .ok, best == nil || o.reward > best!.reward { best = o }
      }
      state.pending = []
      let done = outcomes.count
      try recorder.saveState(state)
      var note = best.map { "best reward \(Format.fixed($0.reward, 4))" } ?? "no result yet"
      if let b = best, let l = b.predictedLatency, let a = b.accuracy {
        note += " (acc \(Format.fixed(a, 4)), \(Format.fixed(l, 2)) ms)"
      }
      progress?.advance(by: done, note: note)
      if stopRequested.isSet { break }
    }
    state.elapsedSeconds = elapsed()
    try recorder.saveState(state)
    let finished = state.pending.isEmpty && (budgetLeft() == 0 || (configuration.seconds.map { elapsed() >= $0 } ?? false))
    return finished ? .finished : .interrupted
  }

  /// Evaluates a batch: trials already committed (from before a crash) are read back, repeated
  /// architectures reuse their recorded accuracy, the rest go to the evaluator together.
  private func evaluate(_ batch: [PendingTrial]) throws -> [TrialOutcome] {
    var outcomes = [TrialOutcome?](repeating: nil, count: batch.count)
    var requests: [(index: Int, request: EvaluationRequest, latency: Double, start: Date)] = []
    for (i, p) in batch.enumerated() {
      if let done = try recorder.finishedTrial(p.trial) {
        outcomes[i] = done
        continue
      }
      let start = Date()
      let arch: Architecture
      do {
        arch = try space.architecture(for: p.assignment)
      } catch {
        outcomes[i] = try fail(p.trial, nil, nil, "\(error)", start: start, architecture: nil)
        continue
      }
      let latency: Double
      do {
        latency = try services.predictLatency(arch)
      } catch {
        outcomes[i] = try fail(p.trial, arch.canonicalHash, nil, "latency prediction failed: \(error)", start: start, architecture: arch)
        continue
      }
      if let accuracy = try recorder.reusableAccuracy(hash: arch.canonicalHash, evaluator: configuration.evaluator) {
        let id = try recorder.beginTrial(p.trial, architecture: arch, predictedLatency: latency)
        let o = TrialOutcome(
          trial: p.trial, hash: arch.canonicalHash, status: .ok, accuracy: accuracy, predictedLatency: latency,
          reward: configuration.reward(accuracy: accuracy, latencyMilliseconds: latency), message: nil, reused: true,
          wallSeconds: Date().timeIntervalSince(start))
        try recorder.finishTrial(id, outcome: o)
        outcomes[i] = o
        continue
      }
      let id = try recorder.beginTrial(p.trial, architecture: arch, predictedLatency: latency)
      requests.append((i, EvaluationRequest(trial: p.trial, evaluationID: id, architecture: arch), latency, start))
    }
    if !requests.isEmpty {
      let results = try services.evaluate(requests.map(\.request))
      for (r, result) in zip(requests, results) {
        let hash = r.request.architecture.canonicalHash
        let wall = Date().timeIntervalSince(r.start)
        let o: TrialOutcome
        switch result {
        case .success(let accuracy) where accuracy.isFinite:
          o = TrialOutcome(
            trial: r.request.trial, hash: hash, status: .ok, accuracy: accuracy, predictedLatency: r.latency,
            reward: configuration.reward(accuracy: accuracy, latencyMilliseconds: r.latency), message: nil, reused: false,
            wallSeconds: wall)
        case .success(let accuracy):
          o = TrialOutcome(
            trial: r.request.trial, hash: hash, status: .failed, accuracy: nil, predictedLatency: r.latency, reward: 0,
            message: "the evaluator returned \(accuracy)", reused: false, wallSeconds: wall)
        case .failure(let failure):
          o = TrialOutcome(
            trial: r.request.trial, hash: hash, status: failure.timedOut ? .timedOut : .failed, accuracy: nil,
            predictedLatency: r.latency, reward: 0, message: failure.message, reused: false, wallSeconds: wall)
        }
        try recorder.finishTrial(r.request.evaluationID, outcome: o)
        outcomes[r.index] = o
      }
    }
    return outcomes.map { $0! }
  }

  private func fail(_ trial: Int, _ hash: String?, _ latency: Double?, _ message: String, start: Date, architecture: Architecture?)
    throws -> TrialOutcome
  {
    let o = TrialOutcome(
      trial: trial, hash: hash, status: .failed, accuracy: nil, predictedLatency: latency, reward: 0, message: message,
      reused: false, wallSeconds: Date().timeIntervalSince(start))
    if let architecture {
      let id = try recorder.beginTrial(trial, architecture: architecture, predictedLatency: latency)
      try recorder.finishTrial(id, outcome: o)
    }
    return o
  }
}
