import Foundation
import NASEval
import NASStore

/// How a search with `--fidelity` evaluates a batch in this process or in child processes: each
/// evaluation trains to its rung, continuing the checkpoint the rung below left in the results
/// store (found by architecture and that rung's evaluator settings), and keeps its own
/// checkpoint there unless it is at the top rung. (Queued evaluations do the same in
/// `nas worker`, ``QueueWorker``.)
final class RungEvaluation: @unchecked Sendable {
  /// One rung's evaluator: in this process, or a child process per evaluation.
  enum Rung {
    case local(TrainEvaluator)
    case process(ProcessEvaluator)
  }

  let store: ResultsStore
  let schedule: FidelitySchedule
  let rungs: [Rung]
  /// Each rung's evaluator settings, as recorded with its evaluations.
  let configurations: [String]
  let log: (String) -> Void

  init(store: ResultsStore, schedule: FidelitySchedule, rungs: [Rung], configurations: [String], log: @escaping (String) -> Void) {
    precondition(rungs.count == schedule.rungSteps.count && configurations.count == rungs.count, "internal: one evaluator per rung")
    self.store = store
    self.schedule = schedule
    self.rungs = rungs
    self.configurations = configurations
    self.log = log
  }

  /// Evaluates the batch at once (one thread per evaluation; child processes do the work when
  /// there are several). A checkpoint that cannot be read or kept only costs time: without one,
  /// the rung trains from scratch to the same network.
  func evaluate(_ requests: [EvaluationRequest]) -> [Result<Double, EvaluationError>] {
    let results = UnsafeSendableBox([Result<Double, EvaluationError>?](repeating: nil, count: requests.count))
    let lock = NSLock()
    DispatchQueue.concurrentPerform(iterations: requests.count) { i in
      let r = evaluate(requests[i])
      lock.lock()
      results.value[i] = r
      lock.unlock()
    }
    return results.value.map { $0! }
  }

  private func evaluate(_ request: EvaluationRequest) -> Result<Double, EvaluationError> {
    let rung = request.rung ?? 0
    let hash = request.architecture.canonicalHash
    var previous: Data?
    if rung > 0 {
      do { previous = try store.checkpoint(hash: hash, evaluatorConfigJSON: configurations[rung - 1]) } catch {
        log("warning: trial \(request.trial): the rung below's checkpoint could not be read (\(error)); training from scratch to the rung")
      }
    }
    let keep = rung < schedule.topRung
    let outcome: (result: Result<Evaluation, EvaluationError>, checkpoint: Data?)
    switch rungs[rung] {
    case .local(let trainer): outcome = trainer.evaluate(request.architecture, continuing: previous, keepCheckpoint: keep)
    case .process(let child): outcome = child.evaluate(request.architecture, continuing: previous, keepCheckpoint: keep)
    }
    do {
      if let checkpoint = outcome.checkpoint {
        try store.saveCheckpoint(evaluation: request.evaluationID, step: schedule.rungSteps[rung], bytes: checkpoint)
      }
      if case .success(let evaluation) = outcome.result {
        try store.setContinuedFromStep(evaluation: request.evaluationID, step: evaluation.continuedFromStep)
      }
    } catch {
      log("warning: trial \(request.trial): its checkpoint could not be kept (\(error)); a promotion will train from scratch")
    }
    return outcome.result.map(\.value)
  }
}
