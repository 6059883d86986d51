import Foundation
import NASArch
import NASEval
import NASSpace
import NASStore
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
  /// Successive halving's rung to train to (continuing the rung below's checkpoint); nil in a
  /// flat search.
  public var rung: Int?
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
    var state: SearchState
    if let saved = try recorder.loadState() {
      state = saved
    } else {
      state = SearchState(
        strategy: AnyStrategy(
          kind: configuration.strategy, cardinalities: cardinalities, seed: configuration.seed, options: configuration.strategyOptions))
      state.halving = configuration.fidelity.map(HalvingState.init)
    }
    let sessionStart = Date()
    func elapsed() -> Double { state.elapsedSeconds + Date().timeIntervalSince(sessionStart) }
    func budgetLeft() -> Int? {
      if let trials = configuration.trials { return max(0, trials - state.completedTrials) }
      return nil
    }
    progress?.advance(by: 0)
    var exhausted = false
    while true {
      if state.pending.isEmpty {
        if stopRequested.isSet { break }
        if let seconds = configuration.seconds, elapsed() >= seconds { break }
        if state.halving != nil {
          composeHalvingBatch(&state)
        } else if let left = budgetLeft(), left == 0 {
          exhausted = true
        } else {
          let count = min(max(1, configuration.workers), budgetLeft() ?? configuration.workers)
          for _ in 0..<count {
            state.pending.append(PendingTrial(trial: state.nextTrial, assignment: state.strategy.ask()))
            state.nextTrial += 1
          }
        }
        if state.pending.isEmpty {
          exhausted = true
          break
        }
        try recorder.saveState(state)
      }
      let outcomes = try evaluate(state.pending)
      for (p, o) in zip(state.pending, outcomes) {
        // Strategies learn from the lowest rung, the one rung every candidate reaches, so the
        // rewards they compare come from equal training; higher rungs decide the winner.
        if (p.rung ?? 0) == 0 { state.strategy.tell(p.assignment, reward: o.reward) }
        if let rung = p.rung, let candidate = p.candidate {
          state.halving?.record(rung: rung, candidate: candidate, reward: o.reward, ok: o.status == .ok)
        }
        if o.status == .ok, best.map({ Self.ranksAbove(o, $0) }) ?? true { best = o }
      }
      state.pending = []
      let done = outcomes.count
      try recorder.saveState(state)
      var note = best.map { "best reward \(Format.fixed($0.reward, 4))" } ?? "no result yet"
      if let b = best, let l = b.predictedLatency, let a = b.accuracy {
        note += " (acc \(Format.fixed(a, 4)), \(Format.fixed(l, 2)) ms\(b.rung.map { ", rung \($0)" } ?? ""))"
      }
      if let halving = state.halving { note += "; per rung \(halving.rungCounts.map(String.init).joined(separator: "/"))" }
      progress?.advance(by: done, note: note)
      if stopRequested.isSet { break }
    }
    state.elapsedSeconds = elapsed()
    try recorder.saveState(state)
    let finished = state.pending.isEmpty && (exhausted || (configuration.seconds.map { elapsed() >= $0 } ?? false))
    return finished ? .finished : .interrupted
  }

  /// Successive halving's next batch: promotions first (ASHA), then new candidates at the
  /// lowest rung while the `--trials` budget (in candidates) lasts. Empty when the budget is
  /// spent and no finished result earns a promotion: the search is over.
  private func composeHalvingBatch(_ state: inout SearchState) {
    guard var halving = state.halving else { return }
    for _ in 0..<max(1, configuration.workers) {
      if let promotion = halving.nextPromotion(), let assignment = halving.assignments[promotion.candidate] {
        state.pending.append(
          PendingTrial(trial: state.nextTrial, assignment: assignment, rung: promotion.rung, candidate: promotion.candidate))
      } else if configuration.trials.map({ halving.candidatesStarted < $0 }) ?? true {
        let assignment = state.strategy.ask()
        halving.start(candidate: state.nextTrial, assignment: assignment)
        state.pending.append(PendingTrial(trial: state.nextTrial, assignment: assignment, rung: 0, candidate: state.nextTrial))
      } else {
        break
      }
      state.nextTrial += 1
    }
    state.halving = halving
  }

  /// Whether `a` is a better result than `b` (``ResultRanking``).
  static func ranksAbove(_ a: TrialOutcome, _ b: TrialOutcome) -> Bool {
    ResultRanking.ranksAbove(rung: a.rung, reward: a.reward, over: b.rung, reward: b.reward)
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
        outcomes[i] = try fail(p, nil, nil, "\(error)", start: start, architecture: nil)
        continue
      }
      let latency: Double
      do {
        latency = try services.predictLatency(arch)
      } catch {
        outcomes[i] = try fail(p, arch.canonicalHash, nil, "latency prediction failed: \(error)", start: start, architecture: arch)
        continue
      }
      let evaluator = configuration.evaluator(rung: p.rung)
      if let accuracy = try recorder.reusableAccuracy(hash: arch.canonicalHash, evaluator: evaluator) {
        let id = try recorder.beginTrial(p.trial, rung: p.rung, architecture: arch, predictedLatency: latency, evaluatorConfigJSON: evaluator)
        let o = TrialOutcome(
          trial: p.trial, hash: arch.canonicalHash, status: .ok, accuracy: accuracy, predictedLatency: latency,
          reward: configuration.reward(accuracy: accuracy, latencyMilliseconds: latency), message: nil, reused: true,
          wallSeconds: Date().timeIntervalSince(start), rung: p.rung)
        try recorder.finishTrial(id, outcome: o)
        outcomes[i] = o
        continue
      }
      let id = try recorder.beginTrial(p.trial, rung: p.rung, architecture: arch, predictedLatency: latency, evaluatorConfigJSON: evaluator)
      requests.append((i, EvaluationRequest(trial: p.trial, evaluationID: id, architecture: arch, rung: p.rung), latency, start))
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
            wallSeconds: wall, rung: r.request.rung)
        case .success(let accuracy):
          o = TrialOutcome(
            trial: r.request.trial, hash: hash, status: .failed, accuracy: nil, predictedLatency: r.latency, reward: 0,
            message: "the evaluator returned \(accuracy)", reused: false, wallSeconds: wall, rung: r.request.rung)
        case .failure(let failure):
          o = TrialOutcome(
            trial: r.request.trial, hash: hash, status: failure.timedOut ? .timedOut : .failed, accuracy: nil,
            predictedLatency: r.latency, reward: 0, message: failure.message, reused: false, wallSeconds: wall, rung: r.request.rung)
        }
        try recorder.finishTrial(r.request.evaluationID, outcome: o)
        outcomes[r.index] = o
      }
    }
    return outcomes.map { $0! }
  }

  private func fail(_ p: PendingTrial, _ hash: String?, _ latency: Double?, _ message: String, start: Date, architecture: Architecture?)
    throws -> TrialOutcome
  {
    let o = TrialOutcome(
      trial: p.trial, hash: hash, status: .failed, accuracy: nil, predictedLatency: latency, reward: 0, message: message,
      reused: false, wallSeconds: Date().timeIntervalSince(start), rung: p.rung)
    if let architecture {
      let id = try recorder.beginTrial(
        p.trial, rung: p.rung, architecture: architecture, predictedLatency: latency, evaluatorConfigJSON: configuration.evaluator(rung: p.rung))
      try recorder.finishTrial(id, outcome: o)
    }
    return o
  }
}
