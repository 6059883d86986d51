import Foundation
import NASArch
import NASSpace
import NASStore
import XCTest

@testable import NASNetAdapt

/// Without a target, a seed continues the search it came from (that search's target, on its
/// device) or gets the default ratio; the time estimate is the documented arithmetic.
final class TargetAndEstimateTests: XCTestCase {
  func temporaryDatabase() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nas-target-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent("nas.sqlite").path
  }

  func testTheHeaderNasSearchWritesNamesItsRun() {
    XCTAssertEqual(SearchOrigin.headerRun("# nas search run 12: reward 0.6, predicted 3.000 ms on abc\nname x\n"), 12)
    XCTAssertEqual(SearchOrigin.headerRun("# a note\n# nas search run 3: reward 1\n"), 3, "any leading comment line")
    XCTAssertNil(SearchOrigin.headerRun("name x\n# nas search run 3: reward 1\n"), "only the comments before the architecture")
    XCTAssertNil(SearchOrigin.headerRun("# nas netadapt run 3 from seed.arch: predicted 1 ms\n"))
    XCTAssertNil(SearchOrigin.headerRun("# nas search run three: reward 1\n"))
  }

  /// A search run with the seed among its evaluations is found by hash, before a header's run
  /// that never evaluated it; a header naming a run the database lacks says so.
  func testASeedIsMatchedToItsSearchByHashThenByHeader() throws {
    let db = try temporaryDatabase()
    let store = try ResultsStore.open(path: db)
    let seed = try DSL.parseArchitecture(ResumeTests.seedText, file: "seed")
    func search(target: Double, device: String) throws -> Int64 {
      try store.createRun(
        kind: .search, name: nil, commandLine: "nas search", parametersJSON: #"{"reward":{"targetMilliseconds":\#(target)},"device":"x"}"#,
        spacePath: nil, spaceHash: nil, seed: 0, toolVersion: "test", deviceProfile: device)
    }
    let first = try search(target: 4, device: "p1"), second = try search(target: 6, device: "p2")
    let evaluation = try store.beginEvaluation(
      run: first, architecture: seed, trial: 1, evaluator: "cmd", evaluatorConfigJSON: "{}", predictedLatencyMs: 5, deviceProfile: "p1")
    try store.finishEvaluation(evaluation, .init(status: .ok, accuracy: 0.5, reward: 0.5, message: nil, reused: false, wallSeconds: 0))

    let byHash = try SearchOrigin.find(store: store, seed: seed, seedPath: "s.arch", seedText: "# nas search run \(second): x\n", databasePath: db)
    XCTAssertEqual(byHash.origin?.run, first, "the run that evaluated it, not the header's")
    XCTAssertEqual(byHash.origin?.targetMs, 4)
    XCTAssertEqual(byHash.origin?.device, "p1", "the run's device_profile column")

    var edited = seed
    edited.units[0].outChannels += 8
    let byHeader = try SearchOrigin.find(store: store, seed: edited, seedPath: "s.arch", seedText: "# nas search run \(second): x\n", databasePath: db)
    XCTAssertEqual(byHeader.origin?.run, second)
    XCTAssertEqual(byHeader.origin?.targetMs, 6)
    let elsewhere = try SearchOrigin.find(store: store, seed: edited, seedPath: "s.arch", seedText: "# nas search run 77: x\n", databasePath: db)
    XCTAssertNil(elsewhere.origin)
    XCTAssertTrue(elsewhere.note?.contains("search run 77") ?? false, "\(String(describing: elsewhere.note))")
    XCTAssertNil(try SearchOrigin.find(store: store, seed: edited, seedPath: "s.arch", seedText: "name x\n", databasePath: db).origin)
  }

  func testTheTargetIsTheGivenOneElseTheSearchsElseTheDefaultRatio() throws {
    let origin = SearchOrigin(run: 3, targetMs: 4, device: "p1", evidence: "by hash")
    func choose(_ s: NetAdaptSettings, _ o: SearchOrigin?, device: String = "p1", requested: String? = nil) throws -> NetAdaptTarget {
      try NetAdaptTarget.choose(settings: s, origin: o, note: nil, deviceInUse: device, deviceRequested: requested, databasePath: "nas.sqlite")
    }
    var given = NetAdaptSettings()
    given.targetRatio = 0.5
    let explicit = try choose(given, origin, device: "other")
    XCTAssertEqual(explicit.milliseconds(seedMs: 10), 5, "a given target wins, on any device")
    XCTAssertTrue(explicit.given)
    XCTAssertEqual(explicit.origin?.run, 3, "the link is kept with a given target")

    let fromSearch = try choose(NetAdaptSettings(), origin)
    XCTAssertEqual(fromSearch.milliseconds(seedMs: 10), 4)
    XCTAssertFalse(fromSearch.given)
    XCTAssertTrue(fromSearch.text.contains("search run 3"), fromSearch.text)
    XCTAssertEqual(fromSearch.applied(to: given).targetMs, 4, "stored as the run's setting, so --resume resolves the same")
    XCTAssertNil(fromSearch.applied(to: given).targetRatio)
    XCTAssertEqual(try choose(NetAdaptSettings(), origin, device: "zz", requested: "p").milliseconds(seedMs: 10), 4, "--device by prefix")

    XCTAssertThrowsError(try choose(NetAdaptSettings(), origin, device: "p2")) { error in
      let text = "\(error)"
      XCTAssertTrue(text.contains("p1") && text.contains("p2") && text.contains("--device p1"), text)
    }
    XCTAssertThrowsError(try choose(NetAdaptSettings(), origin, device: "p1", requested: "q"))

    let handWritten = try choose(NetAdaptSettings(), nil)
    XCTAssertEqual(handWritten.milliseconds(seedMs: 10), 10 * NetAdaptTarget.defaultRatio)
    XCTAssertEqual(handWritten.applied(to: NetAdaptSettings()).targetRatio, NetAdaptTarget.defaultRatio)
    var untargeted = origin
    untargeted.targetMs = nil
    XCTAssertEqual(try choose(NetAdaptSettings(), untargeted).value, .ratio(NetAdaptTarget.defaultRatio))
  }

  func testBothTargetsAtOnceAreRefusedAndNeitherIsAllowed() {
    var s = NetAdaptSettings()
    XCTAssertNoThrow(try s.validate())
    (s.targetMs, s.targetRatio) = (3, 0.5)
    XCTAssertThrowsError(try s.validate())
  }

  /// (1 − 4/10) / 0.1 = 6 iterations × 5 proposals × (2 steps × 8 images × 0.5 s + 10 images
  /// × 0.1 s = 9 s) = 270 s, plus the seed (3 × 8 × 0.5 + 10 × 0.1 = 13 s) and the final
  /// fine-tune (3 × 8 × 0.5 + 30 × 0.1 = 15 s).
  func testTheEstimateIsIterationsTimesProposalsPlusTheLongBudgets() {
    var s = NetAdaptSettings()
    (s.stepRatio, s.shortSteps, s.longEpochs) = (0.1, 2, 1)
    let images = NetAdaptEstimate.Images(longSteps: 3, batch: 8, ranking: 10, final: 30)
    let cost = NetAdaptEstimate.ImageCost(training: 0.5, scoring: 0.1)
    let e = NetAdaptEstimate.make(settings: s, seedMs: 10, targetMs: 4, prunableWidths: 5, images: images, cost: cost)
    XCTAssertEqual(e.iterations, 6)
    XCTAssertEqual(e.proposalsPerIteration, 5)
    XCTAssertEqual(e.secondsPerProposal, 9, accuracy: 1e-9)
    XCTAssertEqual(e.seedSeconds, 13, accuracy: 1e-9)
    XCTAssertEqual(e.finalSeconds, 15, accuracy: 1e-9)
    XCTAssertEqual(e.totalSeconds, 298, accuracy: 1e-9)
    XCTAssertTrue(e.text.contains("6 iterations") && e.text.contains("estimate"), e.text)

    s.weightsPath = "seed.safetensors"
    s.maxIterations = 2
    let limited = NetAdaptEstimate.make(settings: s, seedMs: 10, targetMs: 4, prunableWidths: 5, images: images, cost: cost)
    XCTAssertEqual(limited.iterations, 2, "at most --max-iterations")
    XCTAssertEqual(limited.seedSeconds, 0, "no seed training with --weights")
    s.longEpochs = 0
    XCTAssertEqual(NetAdaptEstimate.make(settings: s, seedMs: 10, targetMs: 4, prunableWidths: 5, images: images, cost: cost).finalSeconds, 3, accuracy: 1e-9)
    s.stepRatio = 0.05
    s.maxIterations = nil
    XCTAssertEqual(NetAdaptEstimate.make(settings: s, seedMs: 2, targetMs: 1, prunableWidths: 1, images: images, cost: cost).iterations, 10, "exact steps do not round up")
  }
}
