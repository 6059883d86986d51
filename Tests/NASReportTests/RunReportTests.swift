import Foundation
import NASArch
import NASStore
import XCTest

@testable import NASReport

/// Reports of fixture databases: a search with a failure, a NetAdapt run, an empty run and a
/// failed one. `ReportCommandTests` (CLITests) opens the same kinds of page in a browser.
final class RunReportTests: XCTestCase {
  var folder: URL!

  override func setUpWithError() throws {
    folder = FileManager.default.temporaryDirectory.appendingPathComponent("nas-report-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

  static func network(_ width: Int) -> Architecture {
    Architecture(
      inputSize: 32, inputChannels: 3, classes: 10,
      units: [
        Unit(role: .stem, op: .conv, kernel: 3, stride: 2, outChannels: width, activation: .relu),
        Unit(role: .block, op: .mbconv, kernel: width % 16 == 0 ? 3 : 5, outChannels: width, midChannels: 2 * width, activation: .relu, residual: true),
        Unit(role: .head, op: .pool), Unit(role: .classifier, op: .classifier, outChannels: 10, normalization: .none),
      ])
  }

  /// A search run of `trials` candidates with a 5 ms target; every seventh trial fails.
  static func searchRun(_ store: ResultsStore, trials: Int, status: RunStatus = .finished) throws -> Int64 {
    let parameters = #"{"reward": {"alpha": -0.07, "beta": -0.07, "targetMilliseconds": 5}, "strategy": "random"}"#
    let run = try store.createRun(
      kind: .search, name: "fixture", commandLine: "nas search --target-ms 5", parametersJSON: parameters, spacePath: "fixture.space",
      spaceHash: "abc", seed: 1, toolVersion: "test", deviceProfile: nil)
    for trial in 1...max(1, trials) where trials > 0 {
      let arch = network(8 * (1 + trial % 12))
      let latency = 1 + Double(trial % 12) * 0.7
      let id = try store.beginEvaluation(
        run: run, architecture: arch, trial: trial, evaluator: "test", evaluatorConfigJSON: "{}", predictedLatencyMs: latency, deviceProfile: nil)
      if trial % 7 == 0 {
        try store.finishEvaluation(id, .init(status: .failed, accuracy: nil, reward: nil, message: "boom <\(trial)>", reused: false, wallSeconds: 1))
      } else {
        let accuracy = 0.5 + Double(trial % 12) * 0.03
        try store.finishEvaluation(
          id, .init(status: .ok, accuracy: accuracy, reward: accuracy * pow(latency / 5, -0.07), message: nil, reused: false, wallSeconds: 1))
      }
      if trial == 3 { try store.setMeasuredLatency(evaluation: id, milliseconds: latency * 1.1) }
    }
    try store.setRunStatus(run, status)
    return run
  }

  func testASuccessiveHalvingRunHasItsRungsChartAndRanksTheTopRungFirst() throws {
    let store = try ResultsStore.open(path: folder.appendingPathComponent("nas.sqlite").path)
    let parameters = #"{"reward": {"alpha": -0.07, "beta": -0.07, "targetMilliseconds": 5}, "strategy": "random", "fidelity": {"rungSteps": [40, 120], "eta": 3}}"#
    let run = try store.createRun(
      kind: .search, name: "rungs", commandLine: "nas search --fidelity 40,120", parametersJSON: parameters, spacePath: "fixture.space",
      spaceHash: "abc", seed: 1, toolVersion: "test", deviceProfile: nil)
    // Three candidates at rung 0; the second is promoted and scores less at rung 1 than the
    // third did at rung 0, yet ranks first: its reward is its highest rung's.
    let rows: [(trial: Int, width: Int, rung: Int, accuracy: Double)] = [(1, 8, 0, 0.60), (2, 16, 0, 0.70), (3, 24, 0, 0.75), (4, 16, 1, 0.72)]
    for r in rows {
      let id = try store.beginEvaluation(
        run: run, architecture: Self.network(r.width), trial: r.trial, rung: r.rung, evaluator: "train", evaluatorConfigJSON: "{\"rung\":\(r.rung)}",
        predictedLatencyMs: 2, deviceProfile: nil)
      try store.finishEvaluation(id, .init(status: .ok, accuracy: r.accuracy, reward: r.accuracy, message: nil, reused: false, wallSeconds: 1))
    }
    try store.setRunStatus(run, .finished)
    let html = try RunReport.html(run: run, store: store)
    XCTAssertTrue(html.contains(#"<section id="rungs">"#))
    XCTAssertTrue(html.contains("3 evaluations at 40, 1 evaluations at 120"), "the rung counts")
    let chart = try XCTUnwrap(html.components(separatedBy: "accuracy at each rung").dropFirst().first?.components(separatedBy: "</svg>").first)
    XCTAssertEqual(chart.components(separatedBy: "<polyline").count - 1, 1, "one promoted candidate, one line")
    XCTAssertEqual(chart.components(separatedBy: "<circle").count - 1, 4, "a dot per evaluation")
    let top = try XCTUnwrap(html.components(separatedBy: #"<section id="top">"#).dropFirst().first)
    let first = try XCTUnwrap(top.range(of: String(Self.network(16).canonicalHash.prefix(12))))
    let third = try XCTUnwrap(top.range(of: String(Self.network(24).canonicalHash.prefix(12))))
    XCTAssertLessThan(first.lowerBound, third.lowerBound, "the top rung ranks first")
    // A flat run has no such section.
    XCTAssertFalse(try RunReport.html(run: try Self.searchRun(store, trials: 5), store: store).contains(#"<section id="rungs">"#))
  }

  func testASearchRunHasEverySection() throws {
    let store = try ResultsStore.open(path: folder.appendingPathComponent("nas.sqlite").path)
    let run = try Self.searchRun(store, trials: 30)
    let html = try RunReport.html(run: run, store: store)
    for id in ["run", "accuracy-latency", "reward", "top", "choices", "predictor", "failures"] {
      XCTAssertTrue(html.contains(#"<section id="\#(id)">"#), id)
    }
    // 26 ok candidates on the scatter (plus markers), the reward chart's dots, ten in the table.
    let meeting = html.components(separatedBy: ##"r="3" fill="#27ae60""##).count - 1
    let above = html.components(separatedBy: ##"r="3" fill="#95a5a6""##).count - 1
    XCTAssertEqual(meeting + above, 26)
    XCTAssertGreaterThan(meeting, 0)
    XCTAssertGreaterThan(above, 0)
    XCTAssertEqual(html.components(separatedBy: "<details").count - 1, 10)
    XCTAssertTrue(html.contains("boom &lt;7&gt;"), "failure messages are escaped")
    XCTAssertTrue(html.contains("target 5.00 ms"))
    XCTAssertTrue(html.contains(##"fill="#8e44ad""##), "the measured candidate's predicted → measured mark")
    XCTAssertFalse(html.contains("<script"), "no scripts")
    XCTAssertFalse(html.contains("http://") && !html.contains("http://www.w3.org/2000/svg"), "nothing from elsewhere")
  }

  func testEmptyAndFailedRunsStillReport() throws {
    let store = try ResultsStore.open(path: folder.appendingPathComponent("nas.sqlite").path)
    let empty = try Self.searchRun(store, trials: 0, status: .interrupted)
    let html = try RunReport.html(run: empty, store: store)
    XCTAssertTrue(html.contains("No candidate has been evaluated yet."))
    XCTAssertTrue(html.contains("interrupted"))
    let failed = try store.createRun(
      kind: .bench, name: nil, commandLine: "nas bench", parametersJSON: "{}", spacePath: nil, spaceHash: nil, seed: nil, toolVersion: "test",
      deviceProfile: nil)
    try store.setRunStatus(failed, .failed)
    let bench = try RunReport.html(run: failed, store: store)
    XCTAssertTrue(bench.contains(#"<section id="predicted-measured">"#))
    XCTAssertTrue(bench.contains("failed"))
    XCTAssertThrowsError(try RunReport.html(run: 99, store: store)) { XCTAssertTrue("\($0)".contains("no run 99")) }
  }

  func testANetAdaptRunShowsItsPathAndProposals() throws {
    let store = try ResultsStore.open(path: folder.appendingPathComponent("nas.sqlite").path)
    let run = try Self.netAdaptRun(store)
    let html = try RunReport.html(run: run, store: store)
    for id in ["run", "path", "proposals"] { XCTAssertTrue(html.contains(#"<section id="\#(id)">"#), id) }
    XCTAssertTrue(html.contains("units 1 out 32→24"))
    XCTAssertEqual(html.components(separatedBy: "<summary>iteration").count - 1, 2)
    XCTAssertTrue(html.contains("chosen"))
    XCTAssertTrue(html.contains("failed: diverged"))
  }

  /// A NetAdapt run of two iterations with two proposals each (one failed).
  static func netAdaptRun(_ store: ResultsStore) throws -> Int64 {
    let run = try store.createRun(
      kind: .netadapt, name: "fixture", commandLine: "nas netadapt seed.arch", parametersJSON: #"{"targetMs": 2.5, "stepRatio": 0.1}"#,
      spacePath: nil, spaceHash: "seed", seed: 0, toolVersion: "test", deviceProfile: nil)
    try store.recordNetAdaptIteration(
      run: run, iteration: 0, architecture: network(40), predictedLatencyMs: 4, accuracy: 0.8, cut: nil, proposals: 0, chosen: nil,
      stateKey: "s", state: Data())
    for iteration in 1...2 {
      for (after, status) in [(32 - 8 * (iteration - 1), ProposalStatus.ok), (16, .failed)] {
        try store.recordNetAdaptProposal(
          run: run, architecture: network(after),
          StoredNetAdaptProposal(
            iteration: iteration, kind: "width", firstUnit: 1, lastUnit: 1, channelsBefore: 40 - 8 * (iteration - 1), channelsAfter: after,
            hash: network(after).canonicalHash, predictedLatencyMs: 4 - Double(iteration), accuracy: status == .ok ? 0.78 : nil,
            slope: status == .ok ? -0.02 : nil, status: status, message: status == .ok ? nil : "diverged", wallSeconds: 2))
      }
      try store.recordNetAdaptIteration(
        run: run, iteration: iteration, architecture: network(32 - 8 * (iteration - 1)), predictedLatencyMs: 4 - Double(iteration),
        accuracy: 0.78, cut: "units 1 out \(40 - 8 * (iteration - 1))→\(32 - 8 * (iteration - 1))", proposals: 2,
        chosen: ("width", 1, 32 - 8 * (iteration - 1)), stateKey: "s", state: Data())
    }
    return run
  }
}
