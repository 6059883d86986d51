import Foundation
import NASArch
import NASEval
import NASSpace
import XCTest

@testable import NASSearch

/// An in-memory recorder, also able to simulate a crash after a number of evaluations.
final class MemoryRecorder: SearchRecorder {
  var state: Data?
  var rows: [Int64: (trial: Int, hash: String, evaluator: String, outcome: TrialOutcome?)] = [:]
  var nextID: Int64 = 1
  var crashAfterFinishing: Int?
  var finished = 0

  struct Crash: Error {}

  func loadState() throws -> SearchState? { try state.map { try JSONDecoder().decode(SearchState.self, from: $0) } }
  func saveState(_ s: SearchState) throws { state = try JSONEncoder().encode(s) }
  func finishedTrial(_ trial: Int) throws -> TrialOutcome? {
    rows.values.first { $0.trial == trial && $0.outcome != nil }?.outcome
  }
  func reusableAccuracy(hash: String, evaluator: String) throws -> Double? {
    rows.values.first { $0.hash == hash && $0.evaluator == evaluator && $0.outcome?.status == .ok }?.outcome?.accuracy
  }
  func beginTrial(_ trial: Int, rung: Int?, architecture: Architecture, predictedLatency: Double?, evaluatorConfigJSON: String) throws -> Int64 {
    defer { nextID += 1 }
    rows[nextID] = (trial, architecture.canonicalHash, evaluatorConfigJSON, nil)
    return nextID
  }
  func finishTrial(_ id: Int64, outcome: TrialOutcome) throws {
    if let limit = crashAfterFinishing, finished >= limit { throw Crash() }
    rows[id]!.outcome = outcome
    finished += 1
  }
  var outcomes: [TrialOutcome] { rows.values.compactMap(\.outcome).sorted { $0.trial < $1.trial } }
}

final class SearchLoopTests: XCTestCase {
  static let spaceText = """
    input 32 channels=3
    classes 10
    stem conv k=3 s=2 out=8 act=relu
    block op={sepconv,mbconv} k={3,5} expand={3,6} s=2 out=16 act={relu,hswish} depth={-1,0} repeat=2
    block mbconv k={3,5} expand={3,6} s=2 out=24 se={0,0.25}
    head pool
    classifier
    """

  func services(counter: Counter = Counter()) -> SearchServices {
    SearchServices(
      predictLatency: { arch in Double((try? arch.costs().macs) ?? 0) / 1e5 },
      evaluate: { requests in
        requests.map { r in
          counter.increment()
          // A deterministic stand-in for accuracy: more parameters, more accuracy.
          let params = Double((try? r.architecture.costs().params) ?? 0)
          return .success(params / (params + 5000))
        }
      })
  }

  final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func increment() { lock.lock(); n += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return n }
  }

  func configuration(_ strategy: StrategyKind, trials: Int = 30, workers: Int = 1) -> SearchConfiguration {
    SearchConfiguration(
      spacePath: "t.space", spaceHash: "x", reward: Reward(targetMilliseconds: 1, w: -0.15), strategy: strategy, trials: trials,
      seconds: nil, evaluator: "fake", seed: 42, workers: workers, device: "test")
  }

  func run(_ strategy: StrategyKind, recorder: MemoryRecorder, workers: Int = 1, counter: Counter = Counter()) throws -> SearchLoop.Ending {
    let space = try DSL.parseSpace(Self.spaceText, file: "t.space")
    let loop = SearchLoop(
      space: space, configuration: configuration(strategy, workers: workers), services: services(counter: counter),
      recorder: recorder, progress: nil)
    return try loop.run()
  }

  func testEveryStrategyRunsItsBudgetDeterministically() throws {
    for kind in StrategyKind.allCases {
      let a = MemoryRecorder(), b = MemoryRecorder()
      XCTAssertEqual(try run(kind, recorder: a), .finished)
      XCTAssertEqual(try run(kind, recorder: b), .finished)
      XCTAssertEqual(a.outcomes.count, 30, kind.rawValue)
      XCTAssertEqual(a.outcomes.map(\.hash), b.outcomes.map(\.hash), kind.rawValue)
      XCTAssertEqual(a.outcomes.map(\.reward), b.outcomes.map(\.reward), kind.rawValue)
      XCTAssertEqual(Set(a.outcomes.map(\.trial)), Set(1...30))
    }
  }

  func testRepeatedArchitecturesReuseTheirEvaluation() throws {
    let recorder = MemoryRecorder()
    let counter = Counter()
    _ = try run(.evolution, recorder: recorder, counter: counter)
    let reused = recorder.outcomes.filter(\.reused).count
    XCTAssertEqual(counter.value + reused, 30)
    XCTAssertEqual(Set(recorder.outcomes.filter { !$0.reused }.map(\.hash)).count, counter.value, "each architecture evaluated once")
  }

  func testResumeAfterACrashLosesNothingAndRepeatsNothing() throws {
    for kind in StrategyKind.allCases {
      for workers in [1, 3] {
        let uninterrupted = MemoryRecorder()
        _ = try run(kind, recorder: uninterrupted, workers: workers)
        let crashed = MemoryRecorder()
        crashed.crashAfterFinishing = 13
        XCTAssertThrowsError(try run(kind, recorder: crashed, workers: workers))
        crashed.crashAfterFinishing = nil
        let counter = Counter()
        XCTAssertEqual(try run(kind, recorder: crashed, workers: workers, counter: counter), .finished)
        let trials = crashed.outcomes.map(\.trial)
        XCTAssertEqual(trials, Array(1...30), "\(kind) workers \(workers): every trial recorded once")
        XCTAssertEqual(crashed.outcomes.map(\.hash), uninterrupted.outcomes.map(\.hash), "\(kind) workers \(workers): same search")
        XCTAssertLessThanOrEqual(counter.value, 30 - 13, "\(kind): finished trials were not evaluated again")
      }
    }
  }

  func testStopRequestEndsInterruptedAndResumes() throws {
    let space = try DSL.parseSpace(Self.spaceText, file: "t.space")
    let recorder = MemoryRecorder()
    let loop = SearchLoop(space: space, configuration: configuration(.random), services: services(), recorder: recorder, progress: nil)
    loop.stopRequested.set()
    XCTAssertEqual(try loop.run(), .interrupted)
    XCTAssertEqual(recorder.outcomes.count, 0)
    XCTAssertEqual(try run(.random, recorder: recorder), .finished)
    XCTAssertEqual(recorder.outcomes.count, 30)
  }

  func testFailedEvaluationsAreRecordedAndTheRunGoesOn() throws {
    let space = try DSL.parseSpace(Self.spaceText, file: "t.space")
    let recorder = MemoryRecorder()
    let failing = SearchServices(
      predictLatency: { _ in 1 },
      evaluate: { requests in requests.map { $0.trial % 4 == 0 ? .failure(EvaluationError("boom")) : .success(0.5) } })
    let loop = SearchLoop(space: space, configuration: configuration(.random, trials: 12), services: failing, recorder: recorder, progress: nil)
    XCTAssertEqual(try loop.run(), .finished)
    XCTAssertEqual(recorder.outcomes.count, 12)
    XCTAssertTrue(recorder.outcomes.filter { $0.status == .failed }.allSatisfy { $0.message == "boom" && $0.reward == 0 })
  }
}
