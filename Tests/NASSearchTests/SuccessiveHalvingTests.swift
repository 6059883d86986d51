import Foundation
import NASArch
import NASEval
import NASSpace
import XCTest

@testable import NASSearch

/// `nas search --fidelity`: ASHA's promotions, rungs in the search loop with every strategy and
/// batch size, and a crashed run resumed to the same record.
final class SuccessiveHalvingTests: XCTestCase {
  let schedule = FidelitySchedule(rungSteps: [40, 120, 360], eta: 3)

  func testPromotionTakesTheBestThirdOfARungAsItFills() {
    var state = HalvingState(schedule: schedule)
    for c in 1...2 { state.record(rung: 0, candidate: c, reward: Double(c), ok: true) }
    XCTAssertNil(state.nextPromotion().map { "\($0)" }, "two results: no third yet")
    state.record(rung: 0, candidate: 3, reward: 0.5, ok: true)
    XCTAssertEqual(state.nextPromotion()?.candidate, 2, "the best of three")
    XCTAssertNil(state.nextPromotion().map { "\($0)" }, "each candidate is promoted once")
    // Three better ones arrive: the top two of six are 6 and 5, neither promoted yet.
    for c in 4...6 { state.record(rung: 0, candidate: c, reward: Double(c), ok: true) }
    XCTAssertEqual(state.nextPromotion()?.candidate, 6)
    XCTAssertEqual(state.nextPromotion()?.candidate, 5)
    XCTAssertNil(state.nextPromotion().map { "\($0)" })
    // Higher rungs first: three results at rung 1 promote their best to rung 2.
    for (c, r) in [(2, 0.7), (6, 0.9), (5, 0.8)] { state.record(rung: 1, candidate: c, reward: r, ok: true) }
    for c in 7...9 { state.record(rung: 0, candidate: c, reward: 10 + Double(c), ok: true) }
    let next = state.nextPromotion()
    XCTAssertEqual(next?.candidate, 6)
    XCTAssertEqual(next?.rung, 2)
    XCTAssertEqual(state.nextPromotion()?.candidate, 9, "then rung 0's best of nine not yet promoted")
  }

  func testAFailedEvaluationIsNeverPromoted() {
    var state = HalvingState(schedule: schedule)
    for c in 1...3 { state.record(rung: 0, candidate: c, reward: 0, ok: false) }
    XCTAssertNil(state.nextPromotion().map { "\($0)" })
  }

  func testScheduleChecks() {
    XCTAssertEqual(FidelitySchedule.parse("40, 120,360")?.rungSteps, [40, 120, 360])
    XCTAssertNil(FidelitySchedule.parse("40,,360"))
    XCTAssertNil(FidelitySchedule.parse("forty"))
    XCTAssertNotNil(FidelitySchedule(rungSteps: [40]).problem)
    XCTAssertNotNil(FidelitySchedule(rungSteps: [120, 40]).problem)
    XCTAssertNotNil(FidelitySchedule(rungSteps: [0, 40]).problem)
    XCTAssertNotNil(FidelitySchedule(rungSteps: [40, 120], eta: 1).problem)
    XCTAssertNil(schedule.problem)
  }

  // MARK: - In the search loop

  /// Evaluations seen by the fake evaluator, in order.
  final class Log: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [EvaluationRequest] = []
    func append(_ r: EvaluationRequest) { lock.lock(); items.append(r); lock.unlock() }
    var requests: [EvaluationRequest] { lock.lock(); defer { lock.unlock() }; return items }
  }

  /// Accuracy grows with the parameters and with the rung, so a higher rung scores higher.
  func services(_ log: Log) -> SearchServices {
    SearchServices(
      predictLatency: { arch in Double((try? arch.costs().macs) ?? 0) / 1e5 },
      evaluate: { requests in
        requests.map { r in
          log.append(r)
          let params = Double((try? r.architecture.costs().params) ?? 0)
          return .success(params / (params + 5000) * 0.8 + 0.05 * Double(r.rung ?? 0))
        }
      })
  }

  func configuration(_ strategy: StrategyKind, candidates: Int, workers: Int) -> SearchConfiguration {
    var c = SearchConfiguration(
      spacePath: "t.space", spaceHash: "x", reward: Reward(targetMilliseconds: 1, w: -0.15), strategy: strategy, trials: candidates,
      seconds: nil, evaluator: "fake-360", seed: 7, workers: workers, device: "test")
    c.fidelity = schedule
    c.rungEvaluators = ["fake-40", "fake-120", "fake-360"]
    return c
  }

  func run(_ strategy: StrategyKind, recorder: MemoryRecorder, candidates: Int = 27, workers: Int = 1, log: Log = Log()) throws
    -> SearchLoop.Ending
  {
    let loop = SearchLoop(
      space: try DSL.parseSpace(SearchLoopTests.spaceText, file: "t.space"), configuration: configuration(strategy, candidates: candidates, workers: workers),
      services: services(log), recorder: recorder, progress: nil)
    return try loop.run()
  }

  func testEveryStrategyClimbsTheRungsAndTheBestIsFromTheTop() throws {
    for kind in StrategyKind.allCases {
      for workers in [1, 4] {
        let recorder = MemoryRecorder()
        let log = Log()
        XCTAssertEqual(try run(kind, recorder: recorder, workers: workers, log: log), .finished)
        let outcomes = recorder.outcomes
        let byRung = Dictionary(grouping: outcomes) { $0.rung ?? -1 }
        let label = "\(kind) workers \(workers)"
        XCTAssertEqual(byRung[0]?.count, 27, "\(label): the budget counts candidates")
        // ASHA promotes at least the synchronous share (a third of each rung) by the end.
        XCTAssertGreaterThanOrEqual(byRung[1]?.count ?? 0, 9, label)
        XCTAssertGreaterThanOrEqual(byRung[2]?.count ?? 0, 3, label)
        XCTAssertEqual(Set(outcomes.map(\.trial)).count, outcomes.count, "\(label): one trial per evaluation")
        // Every promoted evaluation is of a candidate that finished the rung below first.
        for o in outcomes where (o.rung ?? 0) > 0 {
          let below = outcomes.filter { $0.hash == o.hash && $0.rung == o.rung! - 1 && $0.trial < o.trial }
          XCTAssertFalse(below.isEmpty, "\(label): trial \(o.trial) was promoted without its rung below")
        }
        // The evaluator was asked for each rung's settings.
        let rungsAsked = Set(log.requests.compactMap(\.rung))
        XCTAssertEqual(rungsAsked, [0, 1, 2], label)
        // The state's best is the top rung's best.
        let state = try XCTUnwrap(recorder.loadState())
        XCTAssertEqual(state.halving?.candidatesStarted, 27)
        let top = try XCTUnwrap(byRung[2]?.max { $0.reward < $1.reward })
        let ranked = outcomes.sorted { SearchLoop.ranksAbove($0, $1) }
        XCTAssertEqual(ranked.first?.trial, top.trial, label)
      }
    }
  }

  func testTheStrategyIsToldTheLowestRungOnly() throws {
    // Regularized evolution's population (large enough to keep everything) holds what it was
    // told: the 27 candidates' lowest rung, not the promotions too.
    let recorder = MemoryRecorder()
    var c = configuration(.evolution, candidates: 27, workers: 2)
    c.strategyOptions.population = 100
    let loop = SearchLoop(
      space: try DSL.parseSpace(SearchLoopTests.spaceText, file: "t.space"), configuration: c, services: services(Log()), recorder: recorder, progress: nil)
    XCTAssertEqual(try loop.run(), .finished)
    XCTAssertGreaterThan(recorder.outcomes.count, 27)
    let state = try XCTUnwrap(recorder.loadState())
    guard case .evolution(let evolution) = state.strategy else { return XCTFail("not evolution") }
    XCTAssertEqual(evolution.population.count, 27)
    XCTAssertEqual(evolution.asked, 27)
    let lowest = Dictionary(uniqueKeysWithValues: recorder.outcomes.filter { $0.rung == 0 }.map { ($0.trial, $0.reward) })
    XCTAssertEqual(Set(evolution.population.map(\.reward)), Set(lowest.values))
  }

  func testACrashedRunResumesToTheSameRecord() throws {
    for kind in StrategyKind.allCases {
      for workers in [1, 3] {
        let uninterrupted = MemoryRecorder()
        _ = try run(kind, recorder: uninterrupted, workers: workers)
        let crashed = MemoryRecorder()
        crashed.crashAfterFinishing = 20
        XCTAssertThrowsError(try run(kind, recorder: crashed, workers: workers))
        crashed.crashAfterFinishing = nil
        XCTAssertEqual(try run(kind, recorder: crashed, workers: workers), .finished)
        let label = "\(kind) workers \(workers)"
        XCTAssertEqual(crashed.outcomes.map(\.trial), uninterrupted.outcomes.map(\.trial), "\(label): every evaluation once")
        XCTAssertEqual(crashed.outcomes.map(\.hash), uninterrupted.outcomes.map(\.hash), label)
        XCTAssertEqual(crashed.outcomes.map(\.rung), uninterrupted.outcomes.map(\.rung), label)
      }
    }
  }

  func testAFlatSearchHasNoRungs() throws {
    let recorder = MemoryRecorder()
    var c = configuration(.random, candidates: 5, workers: 1)
    c.fidelity = nil
    c.rungEvaluators = nil
    let loop = SearchLoop(
      space: try DSL.parseSpace(SearchLoopTests.spaceText, file: "t.space"), configuration: c, services: services(Log()), recorder: recorder, progress: nil)
    XCTAssertEqual(try loop.run(), .finished)
    XCTAssertEqual(recorder.outcomes.count, 5)
    XCTAssertTrue(recorder.outcomes.allSatisfy { $0.rung == nil })
  }
}
