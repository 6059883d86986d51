import Foundation
import NASArch
import NASSpace
import NASStore
import NASSupport
import NASTrain
import XCTest

@testable import NASNetAdapt

final class ResumeTests: XCTestCase {
  var directory: URL!

  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("netadapt-resume-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

  static let seedText = """
    name small
    input 8 channels=3
    classes 10
    stem conv k=3 s=1 out=16 act=relu
    block mbconv k=3 s=2 mid=32 out=16 se-ch=8 se-gate=hsigmoid se-act=relu act=relu
    block mbconv k=3 s=1 mid=32 out=16 act=relu skip=identity
    head conv k=1 s=1 out=32 act=relu
    head pool
    classifier
    """

  func settings() -> NetAdaptSettings {
    var s = NetAdaptSettings()
    s.targetRatio = 0.8
    s.stepRatio = 0.08
    s.shortSteps = 2
    s.batchSize = 8
    s.rankImages = 40
    s.threads = 1
    s.data = "random:8x8x3"
    return s
  }

  func fake(_ arch: Architecture) throws -> Double { Double(try arch.costs().macs) / 1e4 }

  /// Runs the loop in `store`; with `stopAfter` the stop flag is set once that iteration is
  /// committed, and a second loop continues from the state saved in the store (as --resume).
  func run(store: ResultsStore, splits: DataSplits, stopAfter: Int?, settings s: NetAdaptSettings? = nil) throws -> (NetAdaptState, Int64) {
    let seed = try DSL.parseArchitecture(Self.seedText, file: "seed")
    let s = s ?? settings()
    let run = try store.createRun(
      kind: .netadapt, name: nil, commandLine: "test", parametersJSON: "{}", spacePath: nil, spaceHash: nil, seed: 0, toolVersion: "",
      deviceProfile: nil)
    let tuner = FineTuner(settings: s, splits: splits)
    let stop = AtomicFlag()
    func loop() -> NetAdaptLoop {
      var l = NetAdaptLoop(
        settings: s, store: store, run: run, directory: directory.appendingPathComponent("run-\(run)").path, predict: fake, tuner: tuner,
        parse: { try DSL.parseArchitecture($0, file: "state") })
      if let stopAfter { l.log = { if $0.hasPrefix("iteration \(stopAfter):") { stop.set() } } }
      return l
    }
    let seedMs = try fake(seed)
    let trained = try tuner.train(seed, from: nil, budget: .short, seed: 0)
    var state = try loop().start(
      seed: seed, weights: trained.weights, seedMs: seedMs, targetMs: s.target(seedMs: seedMs), accuracy: trained.accuracy)
    var ending: NetAdaptLoop.Ending
    (state, ending) = try loop().iterate(from: state, stop: stop)
    if stopAfter != nil {
      XCTAssertEqual(ending, .interrupted)
      XCTAssertEqual(state.iteration, stopAfter)
      let saved = try XCTUnwrap(try store.loadState(run: run, key: NetAdaptState.key))
      let resumed = try JSONDecoder().decode(NetAdaptState.self, from: saved)
      XCTAssertEqual(resumed, state)
      (state, ending) = try loop().iterate(from: resumed, stop: AtomicFlag())
    }
    XCTAssertEqual(ending, .targetMet)
    return (state, run)
  }

  func testStoppedRunResumesToTheSameEnd() throws {
    let splits = try DataSource(argument: "random:8x8x3").load(validationCount: 40)
    let store = try ResultsStore.open(path: directory.appendingPathComponent("nas.sqlite").path)
    let (straight, a) = try run(store: store, splits: splits, stopAfter: nil)
    let (resumed, b) = try run(store: store, splits: splits, stopAfter: 1)
    XCTAssertGreaterThanOrEqual(straight.iteration, 2)
    XCTAssertEqual(straight.architecture, resumed.architecture)
    XCTAssertEqual(straight.latencyMs, resumed.latencyMs)
    XCTAssertEqual(straight.accuracy, resumed.accuracy)
    XCTAssertLessThanOrEqual(straight.latencyMs, straight.targetMs)
    XCTAssertEqual(try Safetensors.read(path: straight.weightsPath).tensors, try Safetensors.read(path: resumed.weightsPath).tensors)
    // The same path and the same proposals, each recorded once, one chosen per iteration.
    let pathA = try store.netAdaptIterations(run: a), pathB = try store.netAdaptIterations(run: b)
    XCTAssertEqual(pathA.map(\.cut), pathB.map(\.cut))
    XCTAssertEqual(pathA.map(\.accuracy), pathB.map(\.accuracy))
    let propsA = try store.netAdaptProposals(run: a), propsB = try store.netAdaptProposals(run: b)
    XCTAssertEqual(propsA.map(\.accuracy), propsB.map(\.accuracy))
    XCTAssertEqual(propsA.filter(\.chosen).count, straight.iteration)
    XCTAssertEqual(propsB.filter(\.chosen).count, resumed.iteration)
  }

  func testACutNoSingleWidthCanMakeIsHalvedUntilOneCan() throws {
    // δ = 60% of the seed: no one width of this network carries that much, so without halving
    // the first iteration has no proposal; with it the run still reaches the target.
    var s = settings()
    s.targetRatio = 0.6
    s.stepRatio = 0.6
    let seed = try DSL.parseArchitecture(Self.seedText, file: "seed")
    let seedMs = try fake(seed)
    let single = try ProposalGenerator(divisor: s.divisor).proposals(for: seed, currentMs: seedMs, reduction: 0.4 * seedMs, predict: fake)
    XCTAssertTrue(single.isEmpty, "the premise: no single width cuts 40% of this network")
    let splits = try DataSource(argument: "random:8x8x3").load(validationCount: 40)
    let store = try ResultsStore.open(path: directory.appendingPathComponent("nas.sqlite").path)
    let (state, _) = try run(store: store, splits: splits, stopAfter: nil, settings: s)
    XCTAssertLessThanOrEqual(state.latencyMs, state.targetMs)
    XCTAssertGreaterThanOrEqual(state.iteration, 2)
  }
}
