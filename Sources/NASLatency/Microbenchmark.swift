import Foundation
import NASArch
import NASSpace
import NASSupport

/// Where microbenchmark results go (the results database, or memory in tests).
public protocol LatencySampleSink: AnyObject {
  /// How many samples each unit key already has.
  func sampleCounts() throws -> [String: Int]
  /// Stores samples (one transaction).
  func record(_ samples: [LatencySample]) throws
  /// How many whole-network timings for fitting each architecture hash already has.
  func fittedNetworkCounts() throws -> [String: Int]
  /// Stores a whole-network timing for fitting.
  func recordNetwork(_ arch: Architecture, timing: TimingSummary) throws
}

/// Runs the microbenchmarks of a plan: skips what is already measured and takes a
/// configuration's samples on separate passes over the whole plan, each pass in a fresh random
/// order, so that its samples lie minutes apart. On the VMs this runs on, the host's slow spells
/// last tens of seconds: samples seconds apart share them, samples a pass apart mostly do not,
/// and the table's fastest of them (``LatencyPredictor/tableValues(_:)``) finds the
/// undisturbed core's speed. A pass builds the configurations in chunks and commits each chunk at
/// once, so an interrupted run resumes where it stopped. The plan's whole networks are timed
/// at the end of every pass (all together, interleaved), for the same reason: a network timed
/// only once, at one moment, carries that moment's speed into the overhead term.
public struct Microbenchmark {
  public var threads: Int
  /// Samples per configuration (passes).
  public var rounds: Int
  public var policy: SamplingPolicy
  public var chunkSize: Int
  /// How the whole networks of the plan are timed (all in one interleaved group).
  public var networkPolicy: NetworkTimingPolicy
  public var seed: UInt64

  public init(
    threads: Int = 1, rounds: Int = 4, policy: SamplingPolicy = .standard, chunkSize: Int = 48,
    networkPolicy: NetworkTimingPolicy = .standard, seed: UInt64 = 1
  ) {
    self.threads = threads
    self.rounds = rounds
    self.policy = policy
    self.chunkSize = chunkSize
    self.networkPolicy = networkPolicy
    self.seed = seed
  }

  /// What a run did.
  public struct Summary: Codable, Sendable {
    public var configurations: Int
    public var alreadyMeasured: Int
    public var measured: Int
    public var samples: Int
    /// Distinct whole networks in the plan, and how many got their `rounds` timings in this run.
    public var networks: Int
    public var networksMeasured: Int
    /// Whole-network timings taken in this run (one per network per pass).
    public var networkTimings: Int
    public var seconds: Double
    public var interrupted: Bool
  }

  /// Measures what `plan` still lacks; `shouldStop` is polled between chunks and networks.
  public func run(
    _ plan: BenchPlan, into sink: LatencySampleSink, progress: ProgressReporter? = nil, shouldStop: () -> Bool = { false }
  ) throws -> Summary {
    let start = Date()
    var have = try sink.sampleCounts()
    let todo = plan.items.filter { (have[$0.key] ?? 0) < rounds }
    let missing = todo.map { rounds - (have[$0.key] ?? 0) }
    var timed = try sink.fittedNetworkCounts()
    var seen = Set<String>()
    let networks = plan.networks.filter { seen.insert($0.canonicalHash).inserted && (timed[$0.canonicalHash] ?? 0) < rounds }
    var summary = Summary(
      configurations: plan.items.count, alreadyMeasured: plan.items.count - todo.count, measured: 0, samples: 0,
      networks: seen.count, networksMeasured: 0, networkTimings: 0, seconds: 0, interrupted: false)
    let networkMissing = networks.map { rounds - (timed[$0.canonicalHash] ?? 0) }
    progress?.setTotal(missing.reduce(0, +) + networkMissing.reduce(0, +))
    var rng = SeededGenerator(seed: seed)
    let passCount = max(missing.max() ?? 0, networkMissing.max() ?? 0)
    passes: for pass in 0..<passCount {
      var items = todo.filter { (have[$0.key] ?? 0) < rounds }
      rng.shuffle(&items)
      var index = 0
      while index < items.count {
        if shouldStop() {
          summary.interrupted = true
          break passes
        }
        let chunk = Array(items[index..<min(items.count, index + chunkSize)])
        let samples = try sampleOnce(chunk, rounds: chunk.map { have[$0.key] ?? 0 })
        try sink.record(samples)
        for item in chunk { have[item.key, default: 0] += 1 }
        summary.samples += samples.count
        index += chunk.count
        progress?.advance(by: chunk.count, note: "pass \(pass + 1) of \(passCount)")
      }
      // Once per pass, all in one interleaved group and timed exactly as validation times
      // networks: each network's timings then spread over the run as its units' samples do, so
      // the overhead term compares the two at the same speeds of the machine.
      let due = networks.filter { (timed[$0.canonicalHash] ?? 0) < rounds }
      guard !due.isEmpty else { continue }
      if shouldStop() {
        summary.interrupted = true
        break passes
      }
      let timings = try NetworkTimer.measureAll(
        due, threads: threads, policy: networkPolicy, chunkSize: due.count, seed: seed &+ UInt64(pass),
        record: { measured in
          for (arch, timing) in measured { try sink.recordNetwork(arch, timing: timing) }
        })
      for arch in due { timed[arch.canonicalHash, default: 0] += 1 }
      summary.networkTimings += timings.count
      progress?.advance(by: timings.count, note: "pass \(pass + 1) of \(passCount): networks")
    }
    summary.measured = todo.filter { (have[$0.key] ?? 0) >= rounds }.count
    summary.networksMeasured = networks.filter { (timed[$0.canonicalHash] ?? 0) >= rounds }.count
    summary.seconds = Date().timeIntervalSince(start)
    return summary
  }

  /// Builds a chunk and takes one sample of each configuration; `rounds` are their sample indices.
  func sampleOnce(_ chunk: [BenchPlan.Item], rounds: [Int]) throws -> [LatencySample] {
    var samples: [LatencySample] = []
    for (item, round) in zip(chunk, rounds) {
      let probe = try UnitProbe(item.configuration, threads: threads, seed: seed)
      let s = try probe.sample(policy)
      samples.append(LatencySample(configuration: item.configuration, source: item.source, microseconds: s.microseconds, runs: s.runs, round: round))
    }
    return samples
  }
}
