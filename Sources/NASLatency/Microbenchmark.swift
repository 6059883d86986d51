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

/// Runs the microbenchmarks of a plan: skips what is already measured, builds configurations
/// in chunks, and within a chunk takes one sample of each configuration per round in a fresh
/// random order, so a burst of machine load spreads over many configurations instead of
/// biasing one. Configurations whose rounds disagree by more than `outlierSpread` get extra
/// rounds. Each chunk is committed at once, so an interrupted run resumes where it stopped.
public struct Microbenchmark {
  public var threads: Int
  public var rounds: Int
  public var policy: SamplingPolicy
  public var chunkSize: Int
  /// Relative spread (max/min − 1) above which a configuration is measured again.
  public var outlierSpread: Double
  public var maxExtraRounds: Int
  public var networkRuns: Int
  public var seed: UInt64

  public init(
    threads: Int = 1, rounds: Int = 3, policy: SamplingPolicy = .standard, chunkSize: Int = 48, outlierSpread: Double = 0.08,
    maxExtraRounds: Int = 4, networkRuns: Int = 30, seed: UInt64 = 1
  ) {
    self.threads = threads
    self.rounds = rounds
    self.policy = policy
    self.chunkSize = chunkSize
    self.outlierSpread = outlierSpread
    self.maxExtraRounds = maxExtraRounds
    self.networkRuns = networkRuns
    self.seed = seed
  }

  /// What a run did.
  public struct Summary: Codable, Sendable {
    public var configurations: Int
    public var alreadyMeasured: Int
    public var measured: Int
    public var samples: Int
    public var remeasured: Int
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
    let counts = try sink.sampleCounts()
    var todo = plan.items.filter { (counts[$0.key] ?? 0) < rounds }
    let networkHashes = try sink.fittedNetworkHashes()
    let networks = plan.networks.filter { !networkHashes.contains($0.canonicalHash) }
    var summary = Summary(
      configurations: plan.items.count, alreadyMeasured: plan.items.count - todo.count, measured: 0, samples: 0, remeasured: 0,
      networks: plan.networks.count, networksMeasured: 0, seconds: 0, interrupted: false)
    progress?.setTotal(todo.count + networks.count)
    var rng = SeededGenerator(seed: seed)
    rng.shuffle(&todo)
    var index = 0
    while index < todo.count {
      if shouldStop() {
        summary.interrupted = true
        break
      }
      let chunk = Array(todo[index..<min(todo.count, index + chunkSize)])
      let missing = chunk.map { max(1, rounds - (counts[$0.key] ?? 0)) }
      let (samples, remeasured) = try measureChunk(chunk, missingRounds: missing, rng: &rng)
      try sink.record(samples)
      summary.samples += samples.count
      summary.measured += chunk.count
      summary.remeasured += remeasured
      index += chunk.count
      progress?.advance(by: chunk.count, note: "\(summary.samples) samples")
    }
    if !summary.interrupted {
      for arch in networks {
        if shouldStop() {
          summary.interrupted = true
          break
        }
        let network = try XNNPACKNetwork(architecture: arch, seed: seed, threads: threads)
        // Blocks of runs with a short warm-up each; the median is over every run.
        var times: [Double] = []
        for _ in 0..<4 { times += try network.timeRuns(warmup: 2, runs: max(1, networkRuns / 4)) }
        let summaryTiming = TimingSummary(microseconds: times)
        try sink.recordNetwork(arch, timing: summaryTiming)
        summary.networksMeasured += 1
        progress?.advance(note: "network \(arch.name ?? arch.shortHash)")
      }
    }
    summary.seconds = Date().timeIntervalSince(start)
    return summary
  }

  /// Builds a chunk, samples it round by round in shuffled order, and re-measures outliers.
  func measureChunk(_ chunk: [BenchPlan.Item], missingRounds: [Int], rng: inout SeededGenerator) throws -> ([LatencySample], Int) {
    var probes: [UnitProbe] = []
    for item in chunk { probes.append(try UnitProbe(item.configuration, threads: threads, seed: seed)) }
    var values = [[Double]](repeating: [], count: chunk.count)
    var runs = [Int](repeating: 0, count: chunk.count)
    func round(_ indices: [Int], _ rng: inout SeededGenerator) throws {
      var order = indices
      rng.shuffle(&order)
      for i in order {
        let s = try probes[i].sample(policy)
        values[i].append(s.microseconds)
        runs[i] = s.runs
      }
    }
    let most = missingRounds.max() ?? rounds
    for r in 0..<most {
      try round(chunk.indices.filter { missingRounds[$0] > r }, &rng)
    }
    // Rounds that disagree: more rounds, so the median has a majority of quiet samples.
    var remeasured = Set<Int>()
    for _ in 0..<maxExtraRounds {
      let noisy = chunk.indices.filter { i in
        guard let lo = values[i].min(), let hi = values[i].max(), lo > 0 else { return false }
        return values[i].count >= 2 && hi / lo - 1 > outlierSpread && values[i].count < rounds + maxExtraRounds
      }
      if noisy.isEmpty { break }
      remeasured.formUnion(noisy)
      try round(noisy, &rng)
    }
    var samples: [LatencySample] = []
    for (i, item) in chunk.enumerated() {
      for (r, v) in values[i].enumerated() {
        samples.append(LatencySample(configuration: item.configuration, source: item.source, microseconds: v, runs: runs[i], round: r))
      }
    }
    return (samples, remeasured.count)
  }
}
