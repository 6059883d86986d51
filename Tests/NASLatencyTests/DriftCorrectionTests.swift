import Foundation
import NASArch
import NASSpace
import NASSupport
import XCTest

@testable import NASLatency

/// Reference networks timed beside a validation, and the correction their speed factor makes.
final class DriftCorrectionTests: XCTestCase {
  func tinyNetworks(_ count: Int, seed: UInt64) throws -> [Architecture] {
    let space = try DSL.parseSpace(BenchAndStoreTests.tinySpace, file: "tiny.space")
    var rng = SeededGenerator(seed: seed)
    return try (0..<count).map { _ in try space.sample(using: &rng) }
  }

  /// A predictor whose table has every unit of `archs` at 20 us.
  func tablePredictor(_ archs: [Architecture]) throws -> LatencyPredictor {
    var samples: [LatencySample] = []
    for arch in archs {
      for p in try arch.placedUnits() {
        samples.append(LatencySample(configuration: UnitKey.normalized(p.unit, input: p.input), source: .grid, microseconds: 20, runs: 1))
      }
    }
    return try LatencyPredictor.fit(profile: PredictorTests.profile, samples: samples, networks: []).0
  }

  func testReferencesSpanTheRecordedLatencies() throws {
    let archs = try tinyNetworks(1, seed: 1)
    let recorded = (1...9).map { NetworkSample(architecture: archs[0], milliseconds: Double($0)) }.shuffled()
    XCTAssertEqual(DriftReferences.choose(from: recorded, count: 3).networks.map(\.milliseconds), [1, 5, 9])
    XCTAssertEqual(DriftReferences.choose(from: recorded, count: 1).networks.map(\.milliseconds), [5])
    XCTAssertEqual(DriftReferences.choose(from: recorded, count: 20).networks.count, 9)
    XCTAssertTrue(DriftReferences.choose(from: recorded, count: 0).networks.isEmpty)
    XCTAssertTrue(DriftReferences.choose(from: [], count: 4).networks.isEmpty)
  }

  func testRatioIsTheMedianOfNowOverThen() throws {
    let a = try tinyNetworks(1, seed: 1)[0]
    let refs = DriftReferences(networks: [1.0, 2.0, 4.0].map { NetworkSample(architecture: a, milliseconds: $0) })
    XCTAssertEqual(refs.ratio(now: [1.1, 2.6, 4.4]), 1.1, accuracy: 1e-12)
    XCTAssertEqual(DriftReferences(networks: []).ratio(now: []), 1)
  }

  /// A reference recorded at half the speed it runs at now makes every chunk's factor about 2;
  /// each network's corrected latency is the fastest over passes of its latency divided by its
  /// own chunk's factor, and its raw latency the fastest of its passes.
  func testValidationDividesEachPassByItsChunksFactor() throws {
    let archs = try tinyNetworks(3, seed: 4)
    let predictor = try tablePredictor(archs)
    let reference = try tinyNetworks(1, seed: 11)[0]
    let policy = NetworkTimingPolicy(rounds: 6, warmupRuns: 1, minRuns: 20, roundMilliseconds: 0, processWarmupSeconds: 0)
    let now = try NetworkTimer.measure(reference, policy: policy).milliseconds
    let refs = DriftReferences(networks: [NetworkSample(architecture: reference, milliseconds: now / 2)])

    var recorded: [(String, Double, Double?)] = []
    let result = try LatencyValidator(policy: policy, chunkSize: 2, passes: 2, references: refs).validate(
      archs, predictor: predictor, record: { arch, timing, _, ratio in recorded.append((arch.canonicalHash, timing.latency / 1000, ratio)) })

    let correction = try XCTUnwrap(result.driftCorrected)
    XCTAssertEqual(correction.references, 1)
    XCTAssertEqual(correction.ratios.count, 4, "3 networks in chunks of 2, twice")
    for r in correction.ratios { XCTAssertTrue((1.2...3.5).contains(r), "factor \(r), expected about 2") }
    let c = correction.ratios
    XCTAssertEqual(recorded.compactMap(\.2), [c[0], c[0], c[1], c[2], c[2], c[3]])
    XCTAssertEqual(result.passes, 2)
    for (i, row) in result.rows.enumerated() {
      XCTAssertEqual(row.hash, archs[i].canonicalHash)
      // Timings arrive pass by pass in network order (the tiny space may repeat an architecture).
      XCTAssertEqual(row.passes, [recorded[i].1, recorded[archs.count + i].1])
      XCTAssertEqual(recorded[i].0, row.hash)
      XCTAssertEqual(row.driftRatios, i < 2 ? [c[0], c[2]] : [c[1], c[3]])
      let corrected = try XCTUnwrap(row.correctedMeasured)
      XCTAssertEqual(corrected, min(row.passes[0] / row.driftRatios[0], row.passes[1] / row.driftRatios[1]), accuracy: 1e-12)
      XCTAssertEqual(try XCTUnwrap(row.correctedErrorPercent), 100 * (row.predicted - corrected) / corrected, accuracy: 1e-9)
      XCTAssertEqual(row.measured, row.passes.min()!, accuracy: 1e-12)
      XCTAssertEqual(row.errorPercent, 100 * (row.predicted - row.measured) / row.measured, accuracy: 1e-9)
    }
    XCTAssertEqual(correction.accuracy.mape, result.rows.map { abs($0.correctedErrorPercent!) }.reduce(0, +) / 3, accuracy: 1e-9)
  }

  func testWithoutReferencesThereIsNoCorrection() throws {
    let archs = try tinyNetworks(2, seed: 4)
    let predictor = try tablePredictor(archs)
    let result = try LatencyValidator(policy: .quick).validate(archs, predictor: predictor)
    XCTAssertNil(result.driftCorrected)
    XCTAssertEqual(result.count, 2)
    XCTAssertTrue(result.rows.allSatisfy { $0.driftRatios.isEmpty && $0.correctedMeasured == nil && $0.correctedErrorPercent == nil })
  }
}
