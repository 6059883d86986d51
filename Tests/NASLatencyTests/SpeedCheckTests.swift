import Foundation
import NASArch
import NASSpace
import NASStore
import NASSupport
import XCTest

@testable import NASLatency

/// The speed check's arithmetic and message, which networks it times, and when it does not run.
final class SpeedCheckTests: XCTestCase {
  func testRatioIsTheMedianOfNowOverThen() {
    let check = SpeedCheck(profileID: "abc", nowMilliseconds: [2.4, 6.0, 100], thenMilliseconds: [2.0, 5.0, 10])
    XCTAssertEqual(check.ratio, 1.2, accuracy: 1e-12)
    XCTAssertEqual(SpeedCheck(profileID: "abc", nowMilliseconds: [], thenMilliseconds: []).ratio, 1)
  }

  func testWithinTenPercentSaysNothing() {
    for r in [0.91, 1.0, 1.09] {
      XCTAssertNil(SpeedCheck(profileID: "abc", nowMilliseconds: [r * 4], thenMilliseconds: [4]).warning, "ratio \(r)")
    }
  }

  func testSlowerMachineWarnsByHowMuchAndWhatToDo() throws {
    let check = SpeedCheck(profileID: "abc123", nowMilliseconds: [5.0, 2.5], thenMilliseconds: [4.0, 2.0])
    XCTAssertTrue(check.isOff)
    let text = try XCTUnwrap(check.warning)
    XCTAssertTrue(text.contains("25% slower"), text)
    XCTAssertTrue(text.contains("profile abc123"), text)
    XCTAssertTrue(text.contains("take 1.25× as long"), text)
    XCTAssertTrue(text.contains("measured ≈ 1.25 × predicted"), text)
    XCTAssertTrue(text.contains("5 ms now against 4 ms; 2.5 ms now against 2 ms"), text)
    XCTAssertTrue(text.contains("nas bench"), text)
  }

  func testFasterMachineWarnsToo() throws {
    let text = try XCTUnwrap(SpeedCheck(profileID: "abc", nowMilliseconds: [3.0], thenMilliseconds: [4.0]).warning)
    XCTAssertTrue(text.contains("25% faster"), text)
    XCTAssertTrue(text.contains("take 0.75× as long"), text)
  }

  func network(_ out: Int, ms: Double) -> NetworkSample {
    let arch = Architecture(
      name: nil, inputSize: 8, inputChannels: 3, classes: 4,
      units: [
        Unit(role: .stem, op: .conv, kernel: 3, stride: 2, outChannels: out, activation: .relu),
        Unit(role: .head, op: .pool),
        Unit(role: .classifier, op: .classifier, outChannels: 4, normalization: .none),
      ])
    return NetworkSample(architecture: arch, milliseconds: ms)
  }

  func testChoosesFromTheFasterHalfSpreadOverIt() {
    let candidates = [8.0, 1.0, 7.0, 2.0, 6.0, 3.0, 5.0, 4.0].enumerated().map { network(8 * ($0.offset + 1), ms: $0.element) }
    XCTAssertEqual(SpeedCheck.choose(from: candidates).map(\.milliseconds), [1, 3, 4])
    XCTAssertEqual(SpeedCheck.choose(from: Array(candidates.prefix(2))).map(\.milliseconds).sorted(), [1, 8])
    XCTAssertEqual(SpeedCheck.choose(from: []).count, 0)
  }

  /// A store whose profile `profile` has fit networks timed on three passes each.
  func storeWithFitNetworks(_ profile: DeviceProfile) throws -> (ResultsStore, LatencyPredictor, URL) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nas-speed-\(UUID().uuidString)")
    let store = try ResultsStore.open(path: dir.appendingPathComponent("r.sqlite").path)
    let database = try LatencyDatabase(store: store, profile: profile)
    for (i, ms) in [2.0, 4.0, 6.0, 8.0].enumerated() {
      let arch = network(8 * (i + 1), ms: ms).architecture
      for pass in [ms, ms * 0.9, ms * 1.1] { try database.recordNetwork(arch, timing: TimingSummary(microseconds: [pass * 1000])) }
    }
    let space = try DSL.parseSpace(BenchAndStoreTests.tinySpace, file: "tiny.space")
    let samples = try space.unitConfigurations().map { LatencySample(configuration: $0, source: .grid, microseconds: 20, runs: 5) }
    return (store, try LatencyPredictor.fit(profile: profile, samples: samples, networks: []).0, dir)
  }

  func testChecksThisMachinesProfileAgainstOnePassOfItsFitNetworks() throws {
    let (store, predictor, dir) = try storeWithFitNetworks(DeviceProfile.current(threads: 1))
    defer { try? FileManager.default.removeItem(at: dir) }
    var timed: [Architecture] = []
    let check = try XCTUnwrap(
      LatencyService.checkSpeed(store: store, predictor: predictor) { archs in
        timed = archs
        return archs.map { Double($0.units[0].outChannels) / 8 * 2 * 1.3 }
      })
    // The three of the faster half, valued at the median of their passes.
    XCTAssertEqual(timed.map { $0.units[0].outChannels }, [8, 16, 24])
    XCTAssertEqual(check.thenMilliseconds, [2, 4, 6])
    XCTAssertEqual(check.ratio, 1.3, accuracy: 1e-9)
    XCTAssertTrue(check.warning?.contains("30% slower") ?? false, "\(String(describing: check.warning))")
  }

  func testSkipsAnotherProfileAndTablesMeasuredInThisProcess() throws {
    var other = DeviceProfile.current(threads: 1)
    other.cpu?.flags.append("not-this-cpu")
    let (store, predictor, dir) = try storeWithFitNetworks(other)
    defer { try? FileManager.default.removeItem(at: dir) }
    XCTAssertNil(try LatencyService.checkSpeed(store: store, predictor: predictor) { _ in XCTFail("must not time"); return [] })

    // Threads no other test uses, so marking it does not change what they check.
    let (store2, predictor2, dir2) = try storeWithFitNetworks(DeviceProfile.current(threads: 7))
    defer { try? FileManager.default.removeItem(at: dir2) }
    XCTAssertNotNil(try LatencyService.checkSpeed(store: store2, predictor: predictor2) { $0.map { _ in 1 } })
    LatencyService.markMeasuredInThisProcess(predictor2.profile.id)
    XCTAssertNil(try LatencyService.checkSpeed(store: store2, predictor: predictor2) { _ in XCTFail("must not time"); return [] })
  }
}
