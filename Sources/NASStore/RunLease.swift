import Foundation

/// This process's hold on a run while it works on it: created by claiming (or creating) the
/// run, kept alive by a heartbeat thread, and ended by ``finish(_:)`` with the run's status.
///
/// A run has one owner at a time. When this process falls silent for longer than
/// ``RunOwnership/staleAfterSeconds`` another may take the run over; the heartbeat then
/// notices and calls `onLost`, and ``finish(_:)`` leaves the new owner's status alone.
public final class RunLease: @unchecked Sendable {
  public let store: ResultsStore
  public let run: Int64
  public let owner: RunOwner
  private let stopped = NSCondition()
  private var isStopped = false
  private var lostFlag = false

  /// Claims an existing run (a resume), refusing when another live process owns it.
  public static func claim(
    store: ResultsStore, run: Int64, owner: RunOwner = .thisProcess(), onLost: @escaping @Sendable () -> Void = {}
  ) throws -> RunLease {
    try store.claimRun(run, owner: owner)
    return RunLease(store: store, run: run, owner: owner, onLost: onLost)
  }

  /// Holds a run that was created with `owner` already recorded.
  public init(
    store: ResultsStore, run: Int64, owner: RunOwner, heartbeatSeconds: TimeInterval = RunOwnership.heartbeatSeconds,
    onLost: @escaping @Sendable () -> Void = {}
  ) {
    self.store = store
    self.run = run
    self.owner = owner
    let thread = Thread { [weak self] in
      while let self, !self.waitOrStop(heartbeatSeconds) {
        if (try? self.store.refreshRunOwnership(self.run, token: self.owner.token)) == false {
          self.stopped.lock()
          self.lostFlag = true
          self.stopped.unlock()
          onLost()
          return
        }
      }
    }
    thread.name = "nas-run-owner"
    thread.start()
  }

  deinit { stopHeartbeat() }

  /// Whether another process has taken the run over.
  public var isLost: Bool {
    stopped.lock()
    defer { stopped.unlock() }
    return lostFlag
  }

  /// Stops the heartbeat, records `status` and gives the run up; false when the run had been
  /// taken over (nothing is written then).
  @discardableResult
  public func finish(_ status: RunStatus) throws -> Bool {
    stopHeartbeat()
    return try store.finishOwnedRun(run, token: owner.token, status: status)
  }

  private func stopHeartbeat() {
    stopped.lock()
    isStopped = true
    stopped.broadcast()
    stopped.unlock()
  }

  /// Sleeps `seconds` or until stopped; true when stopped.
  private func waitOrStop(_ seconds: TimeInterval) -> Bool {
    stopped.lock()
    defer { stopped.unlock() }
    let deadline = Date().addingTimeInterval(seconds)
    while !isStopped && stopped.wait(until: deadline) {}
    return isStopped
  }
}
