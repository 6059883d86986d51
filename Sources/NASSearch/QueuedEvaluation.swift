import Foundation
import NASEval
import NASStore

/// A search's evaluator when candidates go through the database's queue: each batch is queued,
/// `nas worker` processes on any host that reaches the database claim and evaluate it, and this
/// process waits for the outcomes. It also queues again the claims of workers that died.
public final class QueuedEvaluation: @unchecked Sendable {
  let store: ResultsStore
  let run: Int64
  let task: WorkerTask
  let taskJSON: String
  /// Successive halving: the task of each rung, as JSON; a request's rung picks its task.
  let rungTaskJSON: [String]?
  let log: (String) -> Void
  /// How often the outcomes are read while a batch is out.
  let pollSeconds: TimeInterval
  /// After this long with nothing claimed, the user is told how to start a worker.
  static let idleHintSeconds: TimeInterval = 30

  public init(
    store: ResultsStore, run: Int64, task: WorkerTask, rungTasks: [WorkerTask]? = nil, pollSeconds: TimeInterval = 0.25,
    log: @escaping (String) -> Void
  ) throws {
    self.store = store
    self.run = run
    self.task = task
    self.taskJSON = try task.json()
    self.rungTaskJSON = try rungTasks?.map { try $0.json() }
    self.pollSeconds = pollSeconds
    self.log = log
  }

  /// Queues the batch and waits until a worker has written every outcome. A trial this run
  /// queued before it was interrupted keeps its row, so a result a worker wrote meanwhile is
  /// used instead of evaluating the candidate again.
  public func evaluate(_ requests: [EvaluationRequest]) throws -> [Result<Double, EvaluationError>] {
    try store.enqueue(
      run: run,
      requests.map { request in
        QueueItem(
          trial: request.trial, evaluationID: request.evaluationID, architectureHash: request.architecture.canonicalHash,
          evaluator: request.rung.flatMap { rung in rungTaskJSON?[rung] })
      },
      evaluator: taskJSON)
    let trials = requests.map(\.trial)
    var outcomes: [Int: QueuedOutcome] = [:]
    let start = Date()
    var lastRequeue = Date.distantPast
    var hinted = false
    while true {
      outcomes = try store.queuedOutcomes(run: run, trials: trials)
      if outcomes.count == trials.count { break }
      if Date().timeIntervalSince(lastRequeue) >= EvaluationQueue.heartbeatSeconds {
        let requeued = try store.requeueAbandonedClaims()
        if requeued > 0 { log("queued again \(requeued) evaluation(s) whose worker stopped answering") }
        lastRequeue = Date()
      }
      if !hinted, Date().timeIntervalSince(start) >= Self.idleHintSeconds, try store.queueCounts(run: run).claimed == 0 {
        log("waiting for workers: no worker has claimed run \(run)'s candidates; start `nas worker --db \(store.path)` on a host with the same data set and nas version")
        hinted = true
      }
      Thread.sleep(forTimeInterval: pollSeconds)
    }
    return trials.map { trial in
      let o = outcomes[trial]!
      switch o.status {
      case .ok:
        guard let accuracy = o.accuracy else { return .failure(EvaluationError("worker on \(o.workerHost ?? "?") wrote no accuracy")) }
        return .success(accuracy)
      case .timedOut: return .failure(EvaluationError(o.message ?? "timed out", timedOut: true))
      case .failed, .running: return .failure(EvaluationError(o.message ?? "failed on \(o.workerHost ?? "?")"))
      }
    }
  }
}
