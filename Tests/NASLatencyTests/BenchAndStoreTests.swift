import Foundation
import NASArch
import NASSpace
import NASStore
import NASSupport
import XCTest

@testable import NASLatency

/// Samples kept in memory, for the microbenchmark runner.
final class MemorySink: LatencySampleSink {
  var samples: [LatencySample] = []
  var networks: [String: [TimingSummary]] = [:]
  func sampleCounts() throws -> [String: Int] { Dictionary(grouping: samples, by: \.key).mapValues(\.count) }
  func record(_ s: [LatencySample]) throws { samples += s }
  func fittedNetworkCounts() throws -> [String: Int] { networks.mapValues(\.count) }
  func recordNetwork(_ arch: Architecture, timing: TimingSummary) throws { networks[arch.canonicalHash, default: []].append(timing) }
}

final class BenchAndStoreTests: XCTestCase {
  static let tinySpace = """
    name tiny
    input 32 channels=3
    classes 10
    divisor 8
    stem conv k=3 s=2 out=16 act=relu
    block mbconv k={3,5} s=1 out=16 mid={32,48} act=relu skip=identity
    head pool
    classifier
    """

  let quick = SamplingPolicy(warmup: 1, minRuns: 2, maxRuns: 3, sampleMicroseconds: 50)

  func plan() throws -> BenchPlan {
    let space = try DSL.parseSpace(Self.tinySpace, file: "tiny.space")
    return try BenchPlan.make(spaces: [space], references: [], options: .init(offGridNetworksPerSpace: 2, fitNetworksPerSpace: 2, seed: 3))
  }

  func testPlanCoversTheGridAndOffGridUnits() throws {
    let p = try plan()
    let grid = p.items.filter { $0.source == .grid }
    // stem, 4 mbconv choices, pool, classifier.
    XCTAssertEqual(grid.count, 7)
    XCTAssertEqual(Set(p.items.map(\.key)).count, p.items.count)
    for item in p.items where item.source == .offgrid && item.configuration.unit.op != .classifier {
      let u = item.configuration.unit
      XCTAssertEqual(u.outChannels % 8, 0, item.key)
      XCTAssertEqual((u.midChannels ?? 8) % 8, 0, item.key)
    }
    XCTAssertEqual(p.networks.count, 2)
  }

  func testShrunkNetworksAreValidAndKeepTheirStructure() throws {
    var rng = SeededGenerator(seed: 9)
    for path in ["mnasnet", "mobilenetv3", "repvit"] {
      let space = try DSL.loadSpace(path: Self.root + "/search-spaces/\(path).space")
      for _ in 0..<20 {
        let arch = try space.sample(using: &rng)
        let shrunk = ChannelShrinker().shrink(arch, using: &rng)
        let a = try arch.placedUnits(), b = try shrunk.placedUnits()
        XCTAssertEqual(a.count, b.count)
        for (x, y) in zip(a, b) {
          XCTAssertEqual(x.layers.count, y.layers.count, "structure changed at unit \(x.index) of \(path)")
          XCTAssertLessThanOrEqual(y.output.channels, max(x.output.channels, 8))
          if y.unit.op != .pool && y.unit.op != .classifier { XCTAssertEqual(y.output.channels % 8, 0) }
        }
      }
    }
  }

  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

  func testBenchRecordsRoundsReusesAndStops() throws {
    let p = try plan()
    let sink = MemorySink()
    let bench = Microbenchmark(rounds: 2, policy: quick, chunkSize: 4, networkPolicy: .quick)
    let first = try bench.run(p, into: sink)
    XCTAssertEqual(first.measured, p.items.count)
    XCTAssertEqual(Set(sink.samples.map(\.key)), Set(p.items.map(\.key)))
    XCTAssertTrue(sink.samples.allSatisfy { $0.microseconds > 0 && $0.runs >= 2 })
    XCTAssertEqual(Dictionary(grouping: sink.samples, by: \.key).values.map(\.count).min(), 2)
    XCTAssertEqual(first.networksMeasured, 2)
    XCTAssertEqual(first.networkTimings, 4, "each network once per pass")
    XCTAssertEqual(sink.networks.values.map(\.count), [2, 2])
    let again = try bench.run(p, into: sink)
    XCTAssertEqual(again.measured, 0)
    XCTAssertEqual(again.alreadyMeasured, p.items.count)
    XCTAssertEqual(again.networksMeasured, 0)
    XCTAssertEqual(again.networkTimings, 0)
    // A network that has fewer timings than passes gets the rest on its own passes.
    let hash = try XCTUnwrap(sink.networks.keys.first)
    sink.networks[hash]?.removeLast()
    let topUp = try bench.run(p, into: sink)
    XCTAssertEqual(topUp.networkTimings, 1)
    XCTAssertEqual(topUp.samples, 0)
    XCTAssertEqual(sink.networks[hash]?.count, 2)
    let stopped = try Microbenchmark(rounds: 3, policy: quick).run(p, into: MemorySink(), shouldStop: { true })
    XCTAssertTrue(stopped.interrupted)
    XCTAssertEqual(stopped.measured, 0)
  }

  func testDatabaseTablesUnknownProfileAndEmptyTable() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nas-latency-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let store = try ResultsStore.open(path: dir.appendingPathComponent("r.sqlite").path)
    XCTAssertThrowsError(try LatencyDatabase.resolveProfile(id: "beef", threads: 1, in: store)) { error in
      XCTAssertTrue("\(error)".contains("unknown device profile 'beef' (known: none yet"), "\(error)")
    }
    XCTAssertThrowsError(try LatencyService.predictor(store: store)) { error in
      XCTAssertTrue("\(error)".contains("no latency samples for device profile"), "\(error)")
    }
    let profile = PredictorTests.profile
    let database = try LatencyDatabase(store: store, profile: profile)
    XCTAssertThrowsError(try database.predictor()) { XCTAssertTrue("\($0)".contains("run 'nas bench' first"), "\($0)") }
    let sink = MemorySink()
    _ = try Microbenchmark(rounds: 1, policy: quick, networkPolicy: .quick).run(try plan(), into: sink)
    // Medians (the first statistic nas stored) are kept but neither counted nor predicted from.
    let medians = sink.samples.map { s in
      var m = s
      m.statistic = .median
      return m
    }
    try database.record(medians)
    XCTAssertEqual(try database.sampleCounts(), [:])
    XCTAssertEqual(try database.samples(), [])
    XCTAssertEqual(try database.samples(statistic: nil), medians)
    XCTAssertThrowsError(try database.predictor()) {
      XCTAssertEqual($0 as? LatencyError, .onlyOlderSamples(profile: profile.id, count: medians.count, statistic: "median"))
      XCTAssertTrue("\($0)".contains("all medians of their runs"), "\($0)")
    }
    try database.record(sink.samples)
    XCTAssertEqual(try database.samples(), sink.samples)
    XCTAssertEqual(try database.sampleCounts().values.reduce(0, +), sink.samples.count)
    XCTAssertEqual(try LatencyDatabase.resolveProfile(id: String(profile.id.prefix(6)), threads: 1, in: store), profile)
    XCTAssertThrowsError(try LatencyDatabase.resolveProfile(id: "zz", threads: 1, in: store)) { error in
      XCTAssertTrue("\(error)".contains(profile.id), "\(error)")
    }
    let predictor = try database.predictor()
    let arch = try DSL.parseSpace(Self.tinySpace, file: "tiny.space").fixedArchitectureOrSample()
    let fromStore = try LatencyService.predictor(store: store, profileID: profile.id)
    XCTAssertEqual(try fromStore.milliseconds(arch), try predictor.milliseconds(arch), accuracy: 1e-12)

    // A fit network timed on three passes: the fit uses the fastest pass, drift references
    // the median pass (what one pass measures).
    for ms in [5.0, 3.0, 4.0] { try database.recordNetwork(arch, timing: TimingSummary(microseconds: [ms * 1000])) }
    XCTAssertEqual(try database.fitNetworks().map(\.milliseconds), [3])
    XCTAssertEqual(try database.driftReferenceCandidates().map(\.milliseconds), [4])
  }
}

extension SearchSpace {
  func fixedArchitectureOrSample() throws -> Architecture {
    var rng = SeededGenerator(seed: 1)
    return try sample(using: &rng)
  }
}

extension NetworkTimingPolicy {
  /// Two short rounds and no process warm-up: enough to exercise the code, not to time anything.
  static let quick = NetworkTimingPolicy(rounds: 2, warmupRuns: 0, minRuns: 1, roundMilliseconds: 0, processWarmupSeconds: 0)
}
