import CXNNPack
import Foundation
import NASArch
import NASSpace
import NASSupport
import XCTest

@testable import NASLatency

/// The one way networks are timed (interleaved rounds, the fastest run) and the
/// huge-page allocator XNNPACK runs on.
final class NetworkTimingTests: XCTestCase {
  func tinyNetworks(_ count: Int) throws -> [Architecture] {
    let space = try DSL.parseSpace(BenchAndStoreTests.tinySpace, file: "tiny.space")
    var rng = SeededGenerator(seed: 9)
    return try (0..<count).map { _ in try space.sample(using: &rng) }
  }

  func testInterleavedRoundsGiveTheQuantileOfAllRuns() throws {
    let archs = try tinyNetworks(3)
    let networks = try archs.map { try XNNPACKNetwork(architecture: $0) }
    let policy = NetworkTimingPolicy(rounds: 4, warmupRuns: 1, minRuns: 3, roundMilliseconds: 0, processWarmupSeconds: 0, quantile: 0)
    let timings = try NetworkTimer.measureInterleaved(networks, policy: policy)
    XCTAssertEqual(timings.count, 3)
    for t in timings {
      XCTAssertEqual(t.runs, 12, "4 rounds of 3 runs")
      XCTAssertEqual(t.latency, t.minimum, "quantile 0 is the fastest run")
    }
    var upper = policy
    upper.quantile = 1
    for t in try NetworkTimer.measureInterleaved(networks, policy: upper) {
      XCTAssertGreaterThanOrEqual(t.latency, t.p90, "quantile 1 is the slowest run")
    }
  }

  func testStoppingAfterTheFirstRoundKeepsThatRound() throws {
    let networks = try tinyNetworks(2).map { try XNNPACKNetwork(architecture: $0) }
    let policy = NetworkTimingPolicy(rounds: 5, warmupRuns: 0, minRuns: 2, roundMilliseconds: 0, processWarmupSeconds: 0)
    let timings = try NetworkTimer.measureInterleaved(networks, policy: policy, shouldStop: { true })
    XCTAssertEqual(timings.map(\.runs), [2, 2])
  }

  func testMeasureAllRecordsChunkByChunkAndStopsBetweenChunks() throws {
    let archs = try tinyNetworks(5)
    var recorded: [[String]] = []
    let timings = try NetworkTimer.measureAll(archs, policy: .quick, chunkSize: 2, record: { recorded.append($0.map(\.0.canonicalHash)) })
    XCTAssertEqual(timings.count, 5)
    XCTAssertEqual(recorded.map(\.count), [2, 2, 1])
    XCTAssertEqual(recorded.flatMap { $0 }, archs.map(\.canonicalHash), "every network once, in order")
    var chunks = 0
    let partial = try NetworkTimer.measureAll(archs, policy: .quick, chunkSize: 2, shouldStop: { chunks >= 1 }, record: { _ in chunks += 1 })
    XCTAssertEqual(partial.count, 2)
  }

  func testBadPolicyIsAClearError() throws {
    let network = try XNNPACKNetwork(architecture: try tinyNetworks(1)[0])
    var policy = NetworkTimingPolicy.quick
    policy.rounds = 0
    XCTAssertThrowsError(try NetworkTimer.measureInterleaved([network], policy: policy)) { error in
      XCTAssertTrue("\(error)".contains("at least 1 round"), "\(error)")
    }
  }

  func testHugePageAllocatorAlignsAndFreesSmallAndLargeBlocks() {
    let allocator = nas_hugepage_allocator()!.pointee
    for size in [1, 100, 4096, (1 << 20) - 1, 1 << 20, 5 << 20 + 3] {
      for alignment in [1, 16, 64, 4096] {
        guard let block = allocator.aligned_allocate(nil, alignment, size) else {
          XCTFail("no block of \(size) bytes aligned to \(alignment)")
          continue
        }
        XCTAssertEqual(Int(bitPattern: block) % alignment, 0, "\(size) bytes aligned to \(alignment)")
        let bytes = block.assumingMemoryBound(to: UInt8.self)
        bytes[0] = 1
        bytes[size - 1] = 2  // the whole block is writable
        XCTAssertEqual(bytes[size - 1], 2)
        if size > 1 { XCTAssertEqual(bytes[0], 1) }
        allocator.aligned_deallocate(nil, block)
      }
    }
    allocator.aligned_deallocate(nil, nil)
  }
}
