import Foundation

/// Creates or resumes a run of one kind and holds it: the one place that checks a resumed
/// run's settings, takes the run over from a process that died (a live owner is refused),
/// queues again the evaluations whose process died, and marks the run running. The lease it
/// returns records the final status. Search, NetAdapt and any later kind of run share it.
public struct RunLifecycle: Sendable {
  public let store: ResultsStore
  public let kind: RunKind
  public let owner: RunOwner
  /// Called when another process takes the run over (this one fell silent too long).
  public let onLost: @Sendable () -> Void

  public init(store: ResultsStore, kind: RunKind, owner: RunOwner = .thisProcess(), onLost: @escaping @Sendable () -> Void = {}) {
    self.store = store
    self.kind = kind
    self.owner = owner
    self.onLost = onLost
  }

  /// What a new run records.
  public struct Start: Sendable {
    public var name: String?
    public var commandLine: String
    public var parametersJSON: String
    public var spacePath: String?
    public var spaceHash: String?
    public var seed: UInt64?
    public var toolVersion: String
    public var deviceProfile: String?

    public init(
      name: String?, commandLine: String, parametersJSON: String, spacePath: String?, spaceHash: String?, seed: UInt64?,
      toolVersion: String, deviceProfile: String?
    ) {
      self.name = name
      self.commandLine = commandLine
      self.parametersJSON = parametersJSON
      self.spacePath = spacePath
      self.spaceHash = spaceHash
      self.seed = seed
      self.toolVersion = toolVersion
      self.deviceProfile = deviceProfile
    }
  }

  /// A new run, owned by this process from its first row.
  public func create(_ start: Start) throws -> RunLease {
    let run = try store.createRun(
      kind: kind, name: start.name, commandLine: start.commandLine, parametersJSON: start.parametersJSON, spacePath: start.spacePath,
      spaceHash: start.spaceHash, seed: start.seed, toolVersion: start.toolVersion, deviceProfile: start.deviceProfile, owner: owner)
    return RunLease(store: store, run: run, owner: owner, onLost: onLost)
  }

  /// A run taken up again.
  public struct Resumed {
    public var lease: RunLease
    public var stored: RunRecord
    /// Trials whose evaluation's process died; they are evaluated again.
    public var staleTrials: [Int]
  }

  /// The newest run of this kind (named `name`, when given): refused when `differences` finds
  /// its stored settings differ from this invocation's, or when it finished and
  /// `allowFinished` is false; otherwise claimed, its stale evaluations marked, and running.
  public func resume(
    name: String?, allowFinished: Bool, differences: (RunRecord) throws -> [String]
  ) throws -> Resumed {
    guard let stored = try store.latestRun(kind: kind, name: name) else {
      throw RunLifecycleError.nothingToResume(kind: kind, name: name, database: store.path)
    }
    let different = try differences(stored)
    guard different.isEmpty else { throw RunLifecycleError.settingsDiffer(run: stored.id, differences: different) }
    guard allowFinished || stored.status != .finished else { throw RunLifecycleError.finished(run: stored.id) }
    let lease: RunLease
    do { lease = try RunLease.claim(store: store, run: stored.id, owner: owner, onLost: onLost) } catch let e as StoreError {
      throw RunLifecycleError.inUse(e.description)
    }
    // The run was taken over, so its owner is gone or has been silent for the owner's stale
    // window; the evaluations it kept alive are judged by the same window, even on another host.
    let stale = try store.markStaleEvaluations(run: stored.id, grace: RunOwnership.staleAfterSeconds)
    try store.setRunStatus(stored.id, .running)
    return Resumed(lease: lease, stored: stored, staleTrials: stale)
  }
}

/// Why a run cannot be created or resumed.
public enum RunLifecycleError: Error, CustomStringConvertible, Sendable {
  case nothingToResume(kind: RunKind, name: String?, database: String)
  case settingsDiffer(run: Int64, differences: [String])
  case finished(run: Int64)
  /// Another live process owns the run (the store's message says which).
  case inUse(String)

  public var description: String {
    switch self {
    case .nothingToResume(let kind, let name, let database):
      return "no \(kind.rawValue) run\(name.map { " named \($0)" } ?? "") in \(database); run without --resume"
    case .settingsDiffer(let run, let differences):
      return "run \(run) was started with other settings (\(differences.joined(separator: "; "))); use the same command, or start a new run"
    case .finished(let run):
      return "run \(run) already finished"
    case .inUse(let message):
      return message
    }
  }
}
