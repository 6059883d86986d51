import Foundation
import NASArch
import NASSupport

/// How whole networks are timed, the one way every command times them: `nas latency measure`,
/// validation, the networks the overhead term is fitted on, and the end-of-run measurements of
/// search and NetAdapt. A prediction is only as comparable with a measurement as the two
/// measuring methods are with each other, so there is one.
///
/// A measurement is `rounds` rounds, each `warmupRuns` untimed runs (the network's weights back
/// into cache) and then timed runs lasting at least `roundMilliseconds` (`minRuns` at least).
/// The network's latency is the `quantile` of all its timed runs, by default the fastest
/// (``TimingSummary/latencyQuantile``): on these shared VMs other tenants on the sibling
/// hyperthread slow a run by up to 30%, in bursts of milliseconds whose share drifts over
/// minutes, so medians wander by 10-20% while the fastest runs repeat within a few percent
/// (over the seconds of one measurement; the core's own speed still drifts over minutes, which
/// is what validation's drift references measure). The unit
/// tables keep the fastest of their samples too (``LatencyPredictor/tableValues(_:)``).
/// Several networks are timed in interleaved rounds
/// (``NetworkTimer/measureInterleaved(_:policy:seed:shouldStop:)``): each round visits every
/// network in a fresh random order, so a burst of machine load costs many networks one round
/// each instead of one network all of them.
public struct NetworkTimingPolicy: Codable, Sendable, Hashable {
  public var rounds: Int
  public var warmupRuns: Int
  public var minRuns: Int
  public var roundMilliseconds: Double
  /// Seconds of untimed runs before a process's first timing, so it starts at the speed a
  /// long-running process has (a fresh process can run 10-20% slower at first on a virtual machine).
  public var processWarmupSeconds: Double
  /// Which quantile of all timed runs is the latency (0: the fastest).
  public var quantile: Double

  public init(
    rounds: Int = 8, warmupRuns: Int = 1, minRuns: Int = 4, roundMilliseconds: Double = 40, processWarmupSeconds: Double = 1,
    quantile: Double = TimingSummary.latencyQuantile
  ) {
    self.rounds = rounds
    self.quantile = quantile
    self.warmupRuns = warmupRuns
    self.minRuns = minRuns
    self.roundMilliseconds = roundMilliseconds
    self.processWarmupSeconds = processWarmupSeconds
  }

  /// What every command uses.
  public static let standard = NetworkTimingPolicy()

  /// Checks values a user can set.
  public func validate() throws(LatencyError) {
    guard rounds >= 1, minRuns >= 1, warmupRuns >= 0, (0...1).contains(quantile) else {
      throw .invalidArgument("timing needs at least 1 round and 1 run per round, 0 or more warm-up runs and a quantile from 0 to 1")
    }
  }
}

/// Keeps the process-level warm-up to once per process.
private let processWarmup = ProcessWarmup()

private final class ProcessWarmup: @unchecked Sendable {
  private let lock = NSLock()
  private var done = false

  /// Runs `network` untimed for `seconds`, the first time any network is timed in this process.
  func ensure(_ network: XNNPACKNetwork, seconds: Double) throws(LatencyError) {
    lock.lock()
    defer { lock.unlock() }
    guard !done, seconds > 0 else { return }
    let end = DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9)
    repeat { try network.run() } while DispatchTime.now().uptimeNanoseconds < end
    done = true
  }
}

extension NetworkTimer {
  /// Times built networks in interleaved rounds (see ``NetworkTimingPolicy``); the summary of each
  /// has every timed run, with `latency` the policy's quantile of them.
  /// `shouldStop` is polled between rounds; networks then carry the rounds they got.
  public static func measureInterleaved(
    _ networks: [XNNPACKNetwork], policy: NetworkTimingPolicy = .standard, seed: UInt64 = 1, shouldStop: () -> Bool = { false }
  ) throws(LatencyError) -> [TimingSummary] {
    try policy.validate()
    guard let first = networks.first else { return [] }
    try processWarmup.ensure(first, seconds: policy.processWarmupSeconds)
    var runsPerRound = [Int?](repeating: nil, count: networks.count)
    var all = [[Double]](repeating: [], count: networks.count)
    var rng = SeededGenerator(seed: seed)
    for round in 0..<policy.rounds {
      if round > 0 && shouldStop() { break }
      var order = Array(networks.indices)
      rng.shuffle(&order)
      for i in order {
        let network = networks[i]
        for _ in 0..<policy.warmupRuns { try network.run() }
        let count: Int
        if let n = runsPerRound[i] {
          count = n
        } else {
          // Fixed after the first round, so every round weighs the same.
          let probe = Double(try network.timedRun()) / 1e6
          count = max(policy.minRuns, Int((policy.roundMilliseconds / max(probe, 1e-3)).rounded(.up)))
          runsPerRound[i] = count
        }
        let times = try network.timeRuns(warmup: 0, runs: count)
        all[i] += times
      }
    }
    return networks.indices.map { i in
      var summary = TimingSummary(microseconds: all[i])
      summary.latency = TimingSummary.quantile(all[i].sorted(), policy.quantile)
      return summary
    }
  }
}
