import Foundation
import NASArch
import XCTest

@testable import NASTrain

/// Successive halving's weight continuation: training to a rung, saving a checkpoint and
/// continuing to the next rung gives the network one uninterrupted run of that length gives.
final class CheckpointTests: XCTestCase {
  let arch = Architecture(
    name: "tiny", inputSize: 8, inputChannels: 3, classes: 10,
    units: [
      NASArch.Unit(role: .stem, op: .conv, kernel: 3, stride: 2, outChannels: 8, activation: .relu),
      NASArch.Unit(
        role: .block, op: .mbconv, kernel: 3, stride: 1, outChannels: 8, midChannels: 16,
        squeezeExcite: UnitSqueezeExcite(squeezeChannels: 4, gate: .hsigmoid), activation: .hswish, residual: true),
      NASArch.Unit(role: .head, op: .pool),
      NASArch.Unit(role: .classifier, op: .classifier, outChannels: 10),
    ])

  func data() throws -> Dataset {
    // Small batches over 200 images: the 30 steps below cross two epochs, so the continued run
    // must reshuffle exactly where the uninterrupted one did.
    try DataSource(argument: "random:8x8x3").load(validationCount: 100).train.subset(Array(0..<200))
  }

  func configuration(steps: Int) -> TrainingConfiguration {
    var c = TrainingConfiguration(epochs: 1, steps: steps, batchSize: 16, learningRate: 0.1, threads: 1)
    c.scheduleSteps = 30
    return c
  }

  func train(steps: Int, from checkpoint: TrainingCheckpoint? = nil) throws -> (Network<Float>, TrainingSummary) {
    let network = try Network<Float>(arch, seed: 3, threads: 1)
    let summary = try Trainer(network: network, configuration: configuration(steps: steps)).train(on: try data(), from: checkpoint)
    return (network, summary)
  }

  func testContinuingACheckpointEqualsTrainingStraightThrough() throws {
    let (straight, _) = try train(steps: 30)
    let (first, _) = try train(steps: 10)
    // Through bytes, as the results store keeps it.
    let saved = TrainingCheckpoint(network: first, step: 10).encoded()
    let checkpoint = try TrainingCheckpoint(decoding: saved, source: "test")
    XCTAssertEqual(checkpoint.step, 10)
    XCTAssertFalse(checkpoint.momentum.isEmpty, "the optimiser's momentum is saved")
    let (continued, summary) = try train(steps: 30, from: checkpoint)
    XCTAssertEqual(summary.steps, 20, "only the remaining steps run")
    XCTAssertEqual(continued.weights().tensors, straight.weights().tensors, "bit for bit the same network")

    // Without the momentum the continuation differs: the test can tell a partial restore.
    var weightsOnly = checkpoint
    weightsOnly.momentum = [:]
    let (partial, _) = try train(steps: 30, from: weightsOnly)
    XCTAssertNotEqual(partial.weights().tensors, straight.weights().tensors)
    // And a rung trained with its own, shorter schedule is another network.
    let network = try Network<Float>(arch, seed: 3, threads: 1)
    var own = configuration(steps: 10)
    own.scheduleSteps = nil
    _ = try Trainer(network: network, configuration: own).train(on: try data())
    XCTAssertNotEqual(network.weights().tensors, first.weights().tensors, "a rung trains a prefix of the top rung's schedule")
  }

  func testACheckpointIsRefusedByAnotherNetworkOrPastTheBudget() throws {
    let (first, _) = try train(steps: 10)
    let checkpoint = TrainingCheckpoint(network: first, step: 10)
    var other = arch
    other.units[1].midChannels = 24
    let network = try Network<Float>(other, seed: 3, threads: 1)
    XCTAssertThrowsError(try Trainer(network: network, configuration: configuration(steps: 30)).train(on: try data(), from: checkpoint))
    XCTAssertThrowsError(try train(steps: 5, from: checkpoint), "a checkpoint past the run's steps")
    XCTAssertThrowsError(try TrainingCheckpoint(decoding: Safetensors.encode(first.weights()), source: "plain weights")) { error in
      XCTAssertTrue("\(error)".contains("not a training checkpoint"), "\(error)")
    }
  }
}
