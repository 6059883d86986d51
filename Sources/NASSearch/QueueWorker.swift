import Foundation
import NASArch
import NASEval
import NASSpace
import NASStore
import NASSupport

/// `nas worker`: claims queued evaluations from the results database, evaluates each in a child
/// process with the settings the search gave, and writes the outcome back, until stopped or, with
/// ``idleExitSeconds``, until the queue stays empty that long.
///
/// While it evaluates, a heartbeat thread keeps its claim alive; when the claim is taken away
/// (this worker was silent too long and another took the candidate) the outcome is dropped,
/// so each queued evaluation ends with one outcome.
public struct QueueWorker {
  public var store: ResultsStore
  /// This worker's host id and pid, as the database records them.
  public var identity: RunOwner
  /// The `nas` executable that runs `_evaluate`.
  public var executable: String
  /// Threads each evaluation may use.
  public var threads: Int
  /// The nas version; only evaluations queued by a search of the same version are claimed.
  public var toolVersion: String
  public var idleExitSeconds: TimeInterval?
  public var maxEvaluations: Int?
  public var pollSeconds: TimeInterval = 0.5
  public var log: (String) -> Void

  public init(
    store: ResultsStore, identity: RunOwner = .thisProcess(), executable: String, threads: Int, toolVersion: String,
    idleExitSeconds: TimeInterval? = nil, maxEvaluations: Int? = nil, log: @escaping (String) -> Void = { _ in }
  ) {
    self.store = store
    self.identity = identity
    self.executable = executable
    self.threads = threads
    self.toolVersion = toolVersion
    self.idleExitSeconds = idleExitSeconds
    self.maxEvaluations = maxEvaluations
    self.log = log
  }

  /// What a worker did.
  public struct Summary: Codable, Sendable {
    public var host: String
    public var evaluated = 0
    public var ok = 0
    public var failed = 0
    /// Outcomes dropped because the claim had been taken away.
    public var dropped = 0
    public var wallSeconds = 0.0

    enum CodingKeys: String, CodingKey {
      case host, evaluated, ok, failed, dropped
      case wallSeconds = "wall_seconds"
    }
  }

  /// Works until `stop` is set (after the evaluation in flight), the queue stays empty for
  /// ``idleExitSeconds``, or ``maxEvaluations`` are done. A database that cannot be reached is
  /// tried again until it answers or the worker is stopped.
  public func run(stop: AtomicFlag) throws -> Summary {
    var summary = Summary(host: identity.host)
    let start = Date()
    var idleSince = Date()
    var lastRequeue = Date.distantPast
    while !stop.isSet {
      if let maxEvaluations, summary.evaluated >= maxEvaluations { break }
      let claimed: ClaimedEvaluation?
      do {
        // Once a heartbeat period, not at every poll: it locks every claimed row.
        if Date().timeIntervalSince(lastRequeue) >= EvaluationQueue.heartbeatSeconds {
          try store.requeueAbandonedClaims()
          lastRequeue = Date()
        }
        claimed = try store.claimQueuedEvaluation(worker: identity, toolVersion: toolVersion)
      } catch {
        log("worker: the database did not answer (\(error)); trying again")
        sleep(stop: stop, seconds: 5)
        continue
      }
      guard let claimed else {
        if let idleExitSeconds, Date().timeIntervalSince(idleSince) >= idleExitSeconds { break }
        sleep(stop: stop, seconds: pollSeconds)
        continue
      }
      let outcome = evaluate(claimed)
      var written = false
      do { written = try store.finishClaim(claimed.id, token: claimed.claimToken, outcome) } catch {
        log("worker: could not write the outcome of run \(claimed.run) trial \(claimed.trial) (\(error)); it will be evaluated again")
      }
      summary.evaluated += 1
      if !written {
        summary.dropped += 1
      } else if outcome.status == .ok {
        summary.ok += 1
      } else {
        summary.failed += 1
      }
      let result = outcome.status == .ok ? "ok \(Format.fixed(outcome.accuracy ?? 0, 4))" : "\(outcome.status.rawValue): \(outcome.message ?? "")"
      log("run \(claimed.run) trial \(claimed.trial): \(result) in \(Format.fixed(outcome.wallSeconds ?? 0, 1)) s\(written ? "" : " (dropped: the claim was taken away)")")
      idleSince = Date()
    }
    summary.wallSeconds = Date().timeIntervalSince(start)
    return summary
  }

  /// Evaluates a claimed candidate in a child process while a thread keeps the claim alive.
  func evaluate(_ claimed: ClaimedEvaluation) -> QueuedOutcome {
    let start = Date()
    let task: WorkerTask
    do { task = try WorkerTask.decode(claimed.evaluator) } catch {
      return QueuedOutcome(status: .failed, accuracy: nil, message: "worker: unreadable evaluator settings: \(error)", wallSeconds: 0)
    }
    let architecture: Architecture
    do { architecture = try DSL.parseArchitecture(claimed.canonicalText, file: "<queued \(claimed.architectureHash.prefix(12))>") } catch {
      return QueuedOutcome(status: .failed, accuracy: nil, message: "worker: \(error)", wallSeconds: 0)
    }
    let done = AtomicFlag()
    let heartbeat = Thread { [store] in
      while !done.isSet {
        Thread.sleep(forTimeInterval: EvaluationQueue.heartbeatSeconds)
        if done.isSet { break }
        if (try? store.refreshClaim(claimed.id, token: claimed.claimToken)) == false { break }
      }
    }
    heartbeat.name = "nas-worker-heartbeat"
    heartbeat.start()
    defer { done.set() }
    let evaluator = ProcessEvaluator(
      executable: executable, arguments: ["_evaluate"] + task.evaluateArguments + ["--threads", String(threads)],
      timeoutSeconds: task.timeoutSeconds, name: task.evaluatorName, configurationJSON: task.configurationJSON)
    let wall = { Date().timeIntervalSince(start) }
    let result: Result<Evaluation, EvaluationError>
    if let rung = task.continuation {
      // A rung of successive halving: the checkpoint comes from and goes to the database, so a
      // candidate promoted to a worker on another host continues where this one stopped.
      var previous: Data?
      if let below = rung.continueFrom {
        do { previous = try store.checkpoint(hash: claimed.architectureHash, evaluatorConfigJSON: below) } catch {
          log("worker: the checkpoint of run \(claimed.run) trial \(claimed.trial)'s rung below could not be read (\(error)); training from scratch")
        }
      }
      let outcome = evaluator.evaluate(architecture, continuing: previous, keepCheckpoint: rung.keepsCheckpoint)
      if let checkpoint = outcome.checkpoint {
        do { try store.saveCheckpoint(evaluation: claimed.evaluationID, step: rung.steps, bytes: checkpoint) } catch {
          log("worker: could not keep the checkpoint of run \(claimed.run) trial \(claimed.trial) (\(error)); a promotion will train from scratch")
        }
      }
      if case .success(let evaluation) = outcome.result {
        // A record of where the training began; losing it loses no result.
        try? store.setContinuedFromStep(evaluation: claimed.evaluationID, step: evaluation.continuedFromStep)
      }
      result = outcome.result
    } else {
      result = evaluator.evaluate(architecture)
    }
    switch result {
    case .success(let evaluation) where evaluation.value.isFinite:
      return QueuedOutcome(status: .ok, accuracy: evaluation.value, message: nil, wallSeconds: wall())
    case .success(let evaluation):
      return QueuedOutcome(status: .failed, accuracy: nil, message: "the evaluator returned \(evaluation.value)", wallSeconds: wall())
    case .failure(let error):
      return QueuedOutcome(status: error.timedOut ? .timedOut : .failed, accuracy: nil, message: error.message, wallSeconds: wall())
    }
  }

  private func sleep(stop: AtomicFlag, seconds: TimeInterval) {
    let end = Date().addingTimeInterval(seconds)
    while !stop.isSet && Date() < end { Thread.sleep(forTimeInterval: min(0.1, seconds)) }
  }
}
