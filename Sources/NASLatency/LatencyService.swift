import Foundation
import NASArch
import NASSpace
import NASStore
import NASSupport

/// The entry points other modules call: a predictor for a device profile, latency tables
/// built (or completed) for some spaces, and end-to-end measurement (``NetworkTimer``).
public enum LatencyService {
  /// The predictor of a profile (this machine at `threads` threads when `profileID` is nil),
  /// fitted on first use. Throws ``LatencyError/emptyTable(profile:)`` before `nas bench`.
  public static func predictor(store: ResultsStore, profileID: String? = nil, threads: Int = 1) throws -> LatencyPredictor {
    let profile = try LatencyDatabase.resolveProfile(id: profileID, threads: threads, in: store)
    let known = try store.profiles().map(\.id)
    guard known.contains(profile.id) else { throw LatencyError.emptyTable(profile: profile.id) }
    return try LatencyDatabase(store: store, profile: profile).predictor()
  }

  /// What ``ensureTables(store:spaces:references:threads:options:benchmark:commandLine:toolVersion:progress:shouldStop:)`` did.
  public struct TablesOutcome: Encodable, Sendable {
    public var profile: DeviceProfile
    public var run: Int64
    public var bench: Microbenchmark.Summary
    public var fit: FitReport?
  }

  /// Measures whatever the spaces' (and references') tables still lack on this machine, under a
  /// `bench` run, then fits and stores the predictor. Resumable: what is stored is reused.
  public static func ensureTables(
    store: ResultsStore, spaces: [(path: String, space: SearchSpace)], references: [Architecture], threads: Int = 1,
    options: BenchPlan.Options = .init(), benchmark: Microbenchmark? = nil, commandLine: String = "nas bench",
    toolVersion: String = "", progress: ProgressReporter? = nil, shouldStop: () -> Bool = { false }
  ) throws -> TablesOutcome {
    let profile = DeviceProfile.current(threads: threads)
    let database = try LatencyDatabase(store: store, profile: profile)
    let plan = try BenchPlan.make(spaces: spaces.map(\.space), references: references, options: options)
    var bench = benchmark ?? Microbenchmark()
    bench.threads = threads
    let parameters: [String: String] = [
      "threads": "\(threads)", "rounds": "\(bench.rounds)", "offgrid_networks_per_space": "\(options.offGridNetworksPerSpace)",
      "fit_networks_per_space": "\(options.fitNetworksPerSpace)", "seed": "\(options.seed)",
      "spaces": spaces.map(\.path).joined(separator: " "), "configurations": "\(plan.items.count)",
    ]
    let json = (try? JSONOutput.string(parameters)) ?? "{}"
    try store.recordProfile(profile.record)
    let run = try store.createRun(
      kind: .bench, name: "bench", commandLine: commandLine, parametersJSON: json, spacePath: spaces.first?.path,
      spaceHash: spaces.first?.space.contentHash, seed: options.seed, toolVersion: toolVersion, deviceProfile: profile.id)
    database.run = run
    do {
      let summary = try bench.run(plan, into: database, progress: progress, shouldStop: shouldStop)
      if summary.interrupted {
        if summary.measured > 0 || summary.networkTimings > 0 { measuredHere.insert(profile.id) }
        try store.setRunStatus(run, .interrupted)
        return TablesOutcome(profile: profile, run: run, bench: summary, fit: nil)
      }
      if summary.measured > 0 || summary.networkTimings > 0 { measuredHere.insert(profile.id) }
      let (_, report) = try database.fit()
      try store.setRunStatus(run, .finished)
      return TablesOutcome(profile: profile, run: run, bench: summary, fit: report)
    } catch {
      try? store.setRunStatus(run, .failed)
      throw error
    }
  }

  /// The predictor of a profile (at one thread), after checking this machine's speed against
  /// its tables: stored tables may be from a faster or slower spell of the host, and work
  /// against a latency target should know before it starts. The warning, or why the check
  /// could not run, goes to `log`.
  public static func predictorCheckingSpeed(store: ResultsStore, profileID: String?, log: (String) -> Void) throws -> LatencyPredictor {
    let predictor = try predictor(store: store, profileID: profileID, threads: 1)
    do {
      if let warning = try checkSpeed(store: store, predictor: predictor)?.warning { log(warning) }
    } catch {
      log("warning: could not check this machine's speed against its latency tables (\(error)); predictions assume the tables' speed")
    }
    return predictor
  }

  // MARK: - Speed check

  /// Profiles whose tables this process measured (they are at the machine's current speed).
  private static let measuredHere = ProfileSet()

  /// Times a few fit networks of the predictor's profile and compares them with their stored
  /// timings (``SpeedCheck``). Nil, without timing anything, when the profile is not this
  /// machine's (another `--device`, or this machine at other threads), when this process
  /// measured the profile's tables itself, or when the profile has no fit networks.
  public static func checkSpeed(
    store: ResultsStore, predictor: LatencyPredictor, measure: (([Architecture]) throws -> [Double])? = nil
  ) throws -> SpeedCheck? {
    let profile = predictor.profile
    guard profile.id == DeviceProfile.current(threads: profile.threads).id, !measuredHere.contains(profile.id) else { return nil }
    let database = try LatencyDatabase(store: store, profile: profile)
    let networks = SpeedCheck.choose(from: try database.driftReferenceCandidates())
    return try SpeedCheck.run(
      profileID: profile.id, networks: networks, measure: measure ?? SpeedCheck.timeLikeABenchPass(threads: profile.threads))
  }

  /// Tells ``checkSpeed(store:predictor:measure:)`` that the profile's tables were just measured in this process.
  public static func markMeasuredInThisProcess(_ profileID: String) { measuredHere.insert(profileID) }
}

/// A set of profile ids shared by the threads of one process.
private final class ProfileSet: @unchecked Sendable {
  private let lock = NSLock()
  private var ids = Set<String>()

  func insert(_ id: String) {
    lock.lock()
    defer { lock.unlock() }
    ids.insert(id)
  }

  func contains(_ id: String) -> Bool {
    lock.lock()
    defer { lock.unlock() }
    return ids.contains(id)
  }
}
