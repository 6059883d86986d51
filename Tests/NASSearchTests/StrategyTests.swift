import Foundation
import XCTest

@testable import NASSearch

final class StrategyTests: XCTestCase {
  let cardinalities = [3, 2, 2, 3, 1, 4, 2, 3, 3, 2]

  /// A toy objective: the share of decisions at their first alternative.
  func toyReward(_ a: [Int]) -> Double { Double(a.filter { $0 == 0 }.count) / Double(a.count) }

  func run(_ strategy: inout AnyStrategy, trials: Int) -> [Double] {
    var rewards: [Double] = []
    for _ in 0..<trials {
      let a = strategy.ask()
      let r = toyReward(a)
      strategy.tell(a, reward: r)
      rewards.append(r)
    }
    return rewards
  }

  func testEveryStrategyIsDeterministicForASeed() {
    for kind in StrategyKind.allCases {
      var a = AnyStrategy(kind: kind, cardinalities: cardinalities, seed: 11)
      var b = AnyStrategy(kind: kind, cardinalities: cardinalities, seed: 11)
      XCTAssertEqual(run(&a, trials: 40), run(&b, trials: 40), kind.rawValue)
      var c = AnyStrategy(kind: kind, cardinalities: cardinalities, seed: 12)
      var d = AnyStrategy(kind: kind, cardinalities: cardinalities, seed: 11)
      XCTAssertNotEqual(run(&c, trials: 40), run(&d, trials: 40), kind.rawValue)
    }
  }

  func testStateRoundTripContinuesExactly() throws {
    for kind in StrategyKind.allCases {
      var uninterrupted = AnyStrategy(kind: kind, cardinalities: cardinalities, seed: 3)
      var first = AnyStrategy(kind: kind, cardinalities: cardinalities, seed: 3)
      let full = run(&uninterrupted, trials: 50)
      let head = run(&first, trials: 21)  // mid-batch for PPO, mid-population for evolution
      let data = try JSONEncoder().encode(first)
      var restored = try JSONDecoder().decode(AnyStrategy.self, from: data)
      let tail = run(&restored, trials: 29)
      XCTAssertEqual(head + tail, full, kind.rawValue)
    }
  }

  func testAskedCandidatesAreValid() {
    for kind in StrategyKind.allCases {
      var s = AnyStrategy(kind: kind, cardinalities: cardinalities, seed: 5)
      for _ in 0..<60 {
        let a = s.ask()
        XCTAssertEqual(a.count, cardinalities.count)
        for (x, n) in zip(a, cardinalities) { XCTAssertTrue(x >= 0 && x < n) }
        s.tell(a, reward: toyReward(a))
      }
    }
  }

  func testEvolutionMutatesExactlyOneDecision() {
    var e = RegularizedEvolution(cardinalities: cardinalities, seed: 1, populationSize: 4, sampleSize: 2)
    let parent = [0, 1, 0, 2, 0, 3, 1, 2, 0, 1]
    for _ in 0..<100 {
      let child = e.mutate(parent)
      XCTAssertEqual(zip(child, parent).filter { $0 != $1 }.count, 1)
      XCTAssertEqual(child[4], 0)  // the decision without alternatives never moves
    }
  }

  func testEvolutionKeepsTheNewestPopulation() {
    var e = RegularizedEvolution(cardinalities: cardinalities, seed: 1, populationSize: 3, sampleSize: 2)
    for r in 0..<5 {
      let a = e.ask()
      e.tell(a, reward: Double(r))
    }
    XCTAssertEqual(e.population.map(\.reward), [2, 3, 4])
  }

  func testPPOLearnsTheToyObjective() {
    var options = StrategyOptions()
    options.learningRate = 0.05
    var s = AnyStrategy.ppo(PPOController(cardinalities: cardinalities, seed: 9, options: options))
    let rewards = run(&s, trials: 240)
    let early = rewards.prefix(40).reduce(0, +) / 40
    let late = rewards.suffix(40).reduce(0, +) / 40
    XCTAssertGreaterThan(late, early + 0.2, "PPO should move toward the rewarded choices (early \(early), late \(late))")
  }

  func testPPOGradientMatchesFiniteDifferences() {
    var c = PPOController(cardinalities: [3, 2, 4], seed: 4)
    let tokens = [2, 0, 3]
    let pass = c.forward(tokens: tokens)
    var gradient = [Double](repeating: 0, count: c.parameters.count)
    c.backward(pass, weight: 1, entropyWeight: 0, into: &gradient)
    var checked = 0
    for i in stride(from: 0, to: c.parameters.count, by: 7) {
      let saved = c.parameters[i]
      c.parameters[i] = saved + 1e-5
      let up = c.logProbability(of: tokens)
      c.parameters[i] = saved - 1e-5
      let down = c.logProbability(of: tokens)
      c.parameters[i] = saved
      let numeric = (up - down) / 2e-5
      XCTAssertEqual(gradient[i], numeric, accuracy: 1e-6 + 1e-4 * abs(numeric), "parameter \(i)")
      checked += 1
    }
    XCTAssertGreaterThan(checked, 50)
  }

  func testRewardSoftAndHardConstraints() {
    let soft = Reward(targetMilliseconds: 80, w: -0.07)
    XCTAssertEqual(soft(accuracy: 0.5, latencyMilliseconds: 80), 0.5, accuracy: 1e-12)
    // Doubling latency costs about 5% relative accuracy at w = -0.07 (MnasNet's rationale).
    XCTAssertEqual(soft(accuracy: 0.5, latencyMilliseconds: 160) / 0.5, pow(2, -0.07), accuracy: 1e-12)
    XCTAssertGreaterThan(soft(accuracy: 0.5, latencyMilliseconds: 40), 0.5)
    let hard = Reward(targetMilliseconds: 80, alpha: 0, beta: -1)
    XCTAssertEqual(hard(accuracy: 0.7, latencyMilliseconds: 40), 0.7)
    XCTAssertEqual(hard(accuracy: 0.7, latencyMilliseconds: 80), 0.7)
    XCTAssertEqual(hard(accuracy: 0.7, latencyMilliseconds: 160), 0.35, accuracy: 1e-12)
    XCTAssertEqual(Reward(targetMilliseconds: 80, alpha: -0.07, beta: 0.1).problems.count, 1)
    XCTAssertEqual(Reward(targetMilliseconds: 0, w: -0.07).problems.count, 1)
  }
}
