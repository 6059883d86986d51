import Foundation
import NASArch
import NASStore
import NASSupport

/// The product's ``SearchRecorder``: one search run in the results database.
///
/// Each evaluation is its own transaction; evaluations in flight get a heartbeat every
/// `heartbeatInterval` seconds from a background thread, so a resume can tell a dead
/// evaluation (its process gone, its heartbeat old) from one still running elsewhere.
public final class StoreRecorder: SearchRecorder, @unchecked Sendable {
  public let store: ResultsStore
  public let run: Int64
  let evaluatorName: String
  let deviceProfile: String
  let spacePath: String
  let reward: Reward
  static let stateKey = "search-state"

  private let lock = NSLock()
  private var inFlight = Set<Int64>()
  private var heartbeatThread: Thread?
  private let stopped = AtomicFlag()

  public init(
    store: ResultsStore, run: Int64, evaluatorName: String, deviceProfile: String, spacePath: String,
    reward: Reward, heartbeatInterval: TimeInterval = 15
  ) {
    self.store = store
    self.run = run
    self.evaluatorName = evaluatorName
    self.deviceProfile = deviceProfile
    self.spacePath = spacePath
    self.reward = reward
    let thread = Thread { [weak self] in
      while let self, !self.stopped.isSet {
        Thread.sleep(forTimeInterval: heartbeatInterval)
        self.beat()
      }
    }
    thread.name = "nas-heartbeat"
    thread.start()
    heartbeatThread = thread
  }

  deinit { stopped.set() }

  /// Stops the heartbeat thread.
  public func close() { stopped.set() }

  private func beat() {
    lock.lock()
    let ids = inFlight
    lock.unlock()
    for id in ids { try? store.heartbeat(id) }
  }

  public func loadState() throws -> SearchState? {
    guard let data = try store.loadState(run: run, key: Self.stateKey) else { return nil }
    return try JSONDecoder().decode(SearchState.self, from: data)
  }

  public func saveState(_ state: SearchState) throws {
    try store.saveState(run: run, key: Self.stateKey, value: try JSONEncoder().encode(state))
  }

  public func finishedTrial(_ trial: Int) throws -> TrialOutcome? {
    guard let e = try store.finishedEvaluation(run: run, trial: trial) else { return nil }
    return TrialOutcome(stored: e)
  }

  public func reusableAccuracy(hash: String, evaluator: String) throws -> Double? {
    try store.reusableAccuracy(hash: hash, evaluatorConfigJSON: evaluator)
  }

  public func beginTrial(_ trial: Int, rung: Int?, architecture: Architecture, predictedLatency: Double?, evaluatorConfigJSON: String)
    throws -> Int64
  {
    let id = try store.beginEvaluation(
      run: run, architecture: architecture, trial: trial, rung: rung, evaluator: evaluatorName, evaluatorConfigJSON: evaluatorConfigJSON,
      predictedLatencyMs: predictedLatency, deviceProfile: deviceProfile, spacePath: spacePath)
    lock.lock()
    inFlight.insert(id)
    lock.unlock()
    return id
  }

  public func finishTrial(_ id: Int64, outcome: TrialOutcome) throws {
    try store.finishEvaluation(
      id,
      .init(
        status: outcome.status, accuracy: outcome.accuracy, reward: outcome.status == .ok ? outcome.reward : nil,
        message: outcome.message, reused: outcome.reused, wallSeconds: outcome.wallSeconds))
    lock.lock()
    inFlight.remove(id)
    lock.unlock()
  }
}

extension TrialOutcome {
  init(stored e: StoredEvaluation) {
    self.init(
      trial: e.trial ?? 0, hash: e.hash, status: e.status, accuracy: e.accuracy,
      predictedLatency: e.predictedLatencyMs, reward: e.reward ?? 0, message: e.message, reused: e.reused,
      wallSeconds: e.wallSeconds ?? 0, rung: e.rung)
  }
}
