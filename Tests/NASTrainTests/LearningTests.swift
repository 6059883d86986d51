import NASArch
import NASSupport
import XCTest

@testable import NASTrain

/// The loss's gradient, and the whole engine learning a real data set.
final class LearningTests: XCTestCase {
  func testSmoothedCrossEntropyGradientMatchesFiniteDifferences() {
    let batch = 3, classes = 5
    var rng = SeededGenerator(seed: 4)
    var logits = (0..<(batch * classes)).map { _ in rng.normal() * 2 }
    let labels: [Int32] = [0, 3, 4]
    for smoothing in [0.0, 0.1] {
      var gradient = [Double](repeating: 0, count: logits.count)
      _ = SoftmaxCrossEntropy.evaluate(
        logits: logits, labels: labels, batch: batch, classes: classes, smoothing: smoothing, gradient: &gradient)
      for i in logits.indices {
        let saved = logits[i], h = 1e-6
        logits[i] = saved + h
        let up = SoftmaxCrossEntropy.evaluate(
          logits: logits, labels: labels, batch: batch, classes: classes, smoothing: smoothing, gradient: nil as UnsafeMutablePointer<Double>?
        ).loss
        logits[i] = saved - h
        let down = SoftmaxCrossEntropy.evaluate(
          logits: logits, labels: labels, batch: batch, classes: classes, smoothing: smoothing, gradient: nil as UnsafeMutablePointer<Double>?
        ).loss
        logits[i] = saved
        XCTAssertEqual(gradient[i], (up - down) / (2 * h), accuracy: 1e-6, "logit \(i), smoothing \(smoothing)")
      }
    }
  }

  /// A small network trained for a few seconds on a slice of Fashion-MNIST (Debian's
  /// `dataset-fashion-mnist`, which `scripts/setup.sh` installs) must be far above chance (10%).
  func testSmallNetworkLearnsFashionMNIST() throws {
    let splits = try DataSource(argument: "fashion-mnist").load()
    let train = splits.train.subset(Array(0..<1920))
    let validation = splits.validation.subset(Array(0..<1000))
    let arch = Architecture(
      name: "tiny", inputSize: 28, inputChannels: 1, classes: 10,
      units: [
        NASArch.Unit(role: .stem, op: .conv, kernel: 3, stride: 2, outChannels: 8, activation: .relu),
        NASArch.Unit(role: .block, op: .mbconv, kernel: 3, stride: 2, outChannels: 16, midChannels: 24, activation: .hswish),
        NASArch.Unit(role: .head, op: .pool),
        NASArch.Unit(role: .classifier, op: .classifier, outChannels: 10),
      ])
    let network = try Network<Float>(arch, seed: 1, threads: 2)
    let trainer = Trainer(
      network: network, configuration: TrainingConfiguration(epochs: 1, steps: 60, batchSize: 32, learningRate: 0.1, threads: 2))
    let summary = try trainer.train(on: train)
    let result = try trainer.evaluate(on: validation)
    print("tiny network: \(summary.steps) steps in \(Format.fixed(summary.seconds, 1)) s, validation accuracy \(result.accuracy)")
    XCTAssertGreaterThan(result.accuracy, 0.5)
  }
}
