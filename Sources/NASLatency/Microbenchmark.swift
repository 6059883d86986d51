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
  /// Whole-network timings already stored for fitting, by architecture hash.
  func fittedNetworkHashes() throws -> Set<String>
  /// Stores a whole-network timing for fitting.
  func recordNetwork(_ arch: Architecture, timing: TimingSummary) throws
}

/// Runs the microbenchmarks of a plan: skips what is already measured and takes a
/// configuration's samples on separate passes over the whole plan, each pass in a fresh random
/// order, so that its samples lie minutes apart. On the VMs this runs on, the host's slow spells
/// last tens of seconds: samples seconds apart share them, samples a pass apart mostly do not,
/// and the table's low quantile of them (``LatencyPredictor/tableValues(_:)``) finds the
/// machine's usual speed. A pass builds the configurations in chunks and commits each chunk at
/// once, so an interrupted run resumes where it stopped.
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
    public var networks: Int
    public var networksMeasured: Int
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
    let networkHashes = try sink.fittedNetworkHashes()
    let networks = plan.networks.filter { !networkHashes.contains($0.canonicalHash) }
    var summary = Summary(
      configurations: plan.items.count, alreadyMeasured: plan.items.count - todo.count, measured: 0, samples: 0,
      networks: plan.networks.count, networksMeasured: 0, seconds: 0, interrupted: false)
    progress?.setTotal(missing.reduce(0, +) + networks.count)
    var rng = SeededGenerator(seed: seed)
    let passCount = missing.max() ?? 0
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
    }
    summary.measured = todo.filter { (have[$0.key] ?? 0) >= rounds }.count
    if !summary.interrupted {
      // Timed exactly as validation times networks, so the overhead term fitted on them
      // carries no difference of method.
      let timings = try NetworkTimer.measureAll(
        networks, threads: threads, policy: networkPolicy, chunkSize: max(1, networks.count), seed: seed, shouldStop: shouldStop,
        record: { measured in
          for (arch, timing) in measured { try sink.recordNetwork(arch, timing: timing) }
          progress?.advance(by: measured.count, note: "networks")
        })
      summary.networksMeasured = timings.count
      summary.interrupted = timings.count < networks.count
    }
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
