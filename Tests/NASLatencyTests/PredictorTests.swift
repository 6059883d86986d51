import NASStore
import NASArch
import NASSpace
import NASSupport
import XCTest

@testable import NASLatency

final class PredictorTests: XCTestCase {
  static let profile = DeviceProfile(
    cpuModel: "Test CPU, \"quoted\"", cores: 4, threads: 1, backend: "xnnpack", backendVersion: "test", precision: "fp32")

  func mbconv(_ cin: Int, _ mid: Int, _ out: Int, size: Int = 28, k: Int = 3) -> UnitConfiguration {
    UnitKey.normalized(
      Unit(role: .block, op: .mbconv, kernel: k, stride: 1, outChannels: out, midChannels: mid, activation: .relu6, residual: cin == out),
      input: Shape(square: size, channels: cin))
  }

  /// Latency from a known combination of features, so a fit can be checked against the truth.
  func truth(_ c: UnitConfiguration) throws -> Double {
    let f = try UnitFeatures(c)
    return 5 + 2e-5 * f.values[2] + 8e-5 * f.values[4] + 0.002 * f.values[6]
  }

  func testLookupReturnsTheFastestMeasuredSample() throws {
    let c = mbconv(16, 64, 16)
    // The slow samples (a busy sibling hyperthread, say) do not move it.
    let samples = [40.0, 10.5, 14.0, 12.0].map { LatencySample(configuration: c, source: .grid, microseconds: $0, runs: 5) }
    let (predictor, _) = try LatencyPredictor.fit(profile: Self.profile, samples: samples, networks: [])
    let e = try predictor.estimate(c.unit, input: c.input, features: UnitFeatures(c))
    XCTAssertEqual(e.microseconds, 10.5, accuracy: 1e-9)
    XCTAssertEqual(e.source, .measured)
    // The role, dropout and normalisation do not change the key.
    var stem = c.unit
    stem.role = .stem
    stem.normalization = .foldedBatchNorm
    XCTAssertEqual(try predictor.estimate(stem, input: c.input, features: UnitFeatures(c)).source, .measured)
  }

  func testFittedModelPredictsUnmeasuredChannelCounts() throws {
    var samples: [LatencySample] = []
    for cin in stride(from: 16, through: 96, by: 16) {
      for mid in stride(from: 48, through: 384, by: 48) {
        let c = mbconv(cin, mid, 32)
        samples.append(LatencySample(configuration: c, source: .grid, microseconds: try truth(c), runs: 5))
      }
    }
    let (predictor, report) = try LatencyPredictor.fit(profile: Self.profile, samples: samples, networks: [], kind: .features)
    XCTAssertEqual(report.configurations, samples.count)
    for (cin, mid) in [(24, 72), (40, 200), (88, 344)] {
      let c = mbconv(cin, mid, 32)
      let e = try predictor.estimate(c.unit, input: c.input, features: UnitFeatures(c))
      XCTAssertEqual(e.source, .model)
      XCTAssertEqual(e.microseconds, try truth(c), accuracy: 0.01 * (try truth(c)), "\(UnitKey.text(c))")
    }
  }

  func testModelComparisonHoldsOutOffGridConfigurations() throws {
    var samples: [LatencySample] = []
    for cin in stride(from: 16, through: 128, by: 8) {
      for mid in [64, 96, 128, 200, 256] {
        let c = mbconv(cin, mid, 40)
        let source: SampleSource = cin % 16 == 0 ? .grid : .offgrid
        samples.append(LatencySample(configuration: c, source: source, microseconds: try truth(c) * (1 + 0.02 * sin(Double(cin + mid))), runs: 5))
      }
    }
    let (_, report) = try LatencyPredictor.fit(profile: Self.profile, samples: samples, networks: [])
    XCTAssertEqual(report.heldOutSet, "off-grid configurations")
    XCTAssertEqual(Set(report.comparisons.map(\.kind)), Set(UnitLatencyModel.Kind.allCases))
    let best = report.comparisons.min { $0.mape < $1.mape }!
    XCTAssertEqual(report.chosen, best.kind)
    XCTAssertLessThan(best.mape, 5)
    // The samples carry ±2% noise of both signs, so some form errs both ways: its mean signed
    // error is then strictly smaller in size than its MAPE.
    for c in report.comparisons { XCTAssertLessThanOrEqual(abs(c.meanError), c.mape + 1e-9, "\(c.kind)") }
    XCTAssertTrue(report.comparisons.contains { abs($0.meanError) < $0.mape - 1e-6 }, "every form's mean error equals its MAPE: the sign was lost")
  }

  func testNonNegativeLeastSquaresRecoversCoefficientsAndClampsNegativeOnes() {
    var rng = SeededGenerator(seed: 1)
    var rows: [[Double]] = [], y: [Double] = []
    for _ in 0..<200 {
      let x = [1, rng.unitDouble() * 100, rng.unitDouble() * 10, 0]
      rows.append(x)
      y.append(3 + 0.5 * x[1] + 2 * x[2])
    }
    let beta = NonNegativeLeastSquares.fit(rows: rows, targets: y)
    XCTAssertEqual(beta[0], 3, accuracy: 1e-6)
    XCTAssertEqual(beta[1], 0.5, accuracy: 1e-8)
    XCTAssertEqual(beta[2], 2, accuracy: 1e-7)
    XCTAssertEqual(beta[3], 0)
    // A target that falls with a feature cannot get a negative coefficient.
    let falling = rows.map { 100 - 0.5 * $0[1] }
    let clamped = NonNegativeLeastSquares.fit(rows: rows.map { [$0[0], $0[1]] }, targets: falling)
    XCTAssertEqual(clamped[1], 0)
    XCTAssertGreaterThan(clamped[0], 0)
  }

  func testOverheadFitRecoversProportionAndIntercept() {
    let sums = [1000.0, 3000, 8000, 12000, 20000]
    let measured = sums.map { $0 * 1.04 + 150 }
    let o = NetworkOverhead.fit(sums: sums, measured: measured)
    XCTAssertEqual(o.proportional, 0.04, accuracy: 1e-9)
    XCTAssertEqual(o.intercept, 150, accuracy: 1e-6)
    let few = NetworkOverhead.fit(sums: [1000, 2000], measured: [1100, 2200])
    XCTAssertEqual(few.proportional, 0.1, accuracy: 1e-9)
  }

  func testPredictorOfANetworkAddsUnitsAndOverheadAndRoundTripsThroughJSON() throws {
    let arch = Architecture(
      name: "tiny", inputSize: 32, classes: 10,
      units: [
        Unit(role: .stem, op: .conv, kernel: 3, stride: 2, outChannels: 16, activation: .hswish),
        Unit(role: .block, op: .mbconv, kernel: 3, stride: 1, outChannels: 16, midChannels: 48, activation: .relu, residual: true),
        Unit(role: .head, op: .pool),
        Unit(role: .classifier, op: .classifier, outChannels: 10),
      ])
    let placed = try arch.placedUnits()
    var samples: [LatencySample] = []
    for (i, p) in placed.enumerated() {
      samples.append(LatencySample(configuration: UnitKey.normalized(p.unit, input: p.input), source: .grid, microseconds: Double(10 * (i + 1)), runs: 3))
    }
    let network = NetworkSample(architecture: arch, milliseconds: 0.110)
    let (predictor, report) = try LatencyPredictor.fit(profile: Self.profile, samples: samples, networks: [network])
    XCTAssertEqual(report.networks.count, 1)
    let p = try predictor.predict(arch)
    XCTAssertEqual(p.unitsMilliseconds, 0.100, accuracy: 1e-9)
    XCTAssertEqual(p.milliseconds, 0.110, accuracy: 1e-9)
    XCTAssertEqual(p.measuredUnits, 4)
    XCTAssertEqual(try predictor.milliseconds(arch), p.milliseconds, accuracy: 1e-12)
    let reloaded = try LatencyPredictor.decode(json: try predictor.json())
    XCTAssertEqual(try reloaded.milliseconds(arch), p.milliseconds, accuracy: 1e-12)
    XCTAssertEqual(reloaded.profile, Self.profile)
  }

  func testEmptyTableIsAClearError() {
    XCTAssertThrowsError(try LatencyPredictor.fit(profile: Self.profile, samples: [], networks: [])) { error in
      XCTAssertEqual(error as? LatencyError, .emptyTable(profile: Self.profile.id))
      XCTAssertTrue("\(error)".contains("run 'nas bench' first"), "\(error)")
    }
  }

  func testUnitWithoutSampleOrModelIsAClearError() throws {
    let c = mbconv(16, 64, 16)
    let (predictor, _) = try LatencyPredictor.fit(
      profile: Self.profile, samples: [LatencySample(configuration: c, source: .grid, microseconds: 10, runs: 1)], networks: [])
    let pool = UnitKey.normalized(Unit(role: .head, op: .pool), input: Shape(square: 7, channels: 16))
    XCTAssertThrowsError(try predictor.microseconds(pool)) { error in
      XCTAssertTrue("\(error)".contains("no sample and no fitted model for 'pool @ 7x7x16'"), "\(error)")
    }
  }
}
