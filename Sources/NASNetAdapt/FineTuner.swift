import Foundation
import NASArch
import NASSupport
import NASTrain

/// Trains proxy networks for NetAdapt: the seed (when no weights are given), each proposal's
/// short fine-tune from its inherited weights, and the final long fine-tune. Proposals are
/// ranked on the first ``NetAdaptSettings/rankImages`` validation images; the final network
/// is scored on the whole validation split and the test split.
public final class FineTuner: @unchecked Sendable {
  public enum Budget: Sendable {
    /// ``NetAdaptSettings/shortSteps`` at the short learning rate.
    case short
    /// ``NetAdaptSettings/longEpochs`` at the full learning rate.
    case long
  }

  public struct Outcome: Sendable {
    /// Accuracy on the ranking images.
    public var accuracy: Double
    public var weights: WeightSet
    public var stoppedEarly: Bool
  }

  public let settings: NetAdaptSettings
  public let splits: DataSplits
  public let rule: ProxyRule
  public let rank: Dataset

  public init(settings: NetAdaptSettings, splits: DataSplits) {
    self.settings = settings
    self.splits = splits
    rule = ProxyRule(for: splits.train, maxDownsampling: settings.maxDownsampling)
    let n = min(settings.rankImages, splits.validation.count)
    rank = splits.validation.subset(Array(0..<n), name: splits.validation.name + " (ranking)")
  }

  /// Loads the data set named in the settings.
  public convenience init(settings: NetAdaptSettings) throws(NetAdaptError) {
    do {
      self.init(settings: settings, splits: try DataSource(argument: settings.data).load())
    } catch {
      throw .training(error.description)
    }
  }

  /// The network that is trained for `arch`.
  public func proxy(_ arch: Architecture) -> Architecture { rule.proxy(of: arch) }

  func configuration(_ budget: Budget, seed: UInt64) -> TrainingConfiguration {
    switch budget {
    case .short:
      return TrainingConfiguration(
        epochs: 1, steps: settings.shortSteps, batchSize: settings.batchSize, learningRate: settings.shortLearningRate,
        warmupFraction: 0, seed: seed, threads: settings.threads)
    case .long:
      return TrainingConfiguration(
        epochs: max(settings.longEpochs, 1e-9), batchSize: settings.batchSize, learningRate: settings.learningRate, seed: seed,
        threads: settings.threads)
    }
  }

  func network(_ arch: Architecture, weights: WeightSet?, seed: UInt64) throws(NetAdaptError) -> Network<Float> {
    do {
      let network = try Network<Float>(proxy(arch), seed: seed, threads: settings.threads)
      if let weights { try network.load(weights, requireSameArchitecture: false) }
      return network
    } catch {
      throw .training(error.description)
    }
  }

  /// Trains `arch`'s proxy from `weights` (from scratch when nil) and scores it on the ranking
  /// images. A long budget of 0 epochs only scores.
  public func train(
    _ arch: Architecture, from weights: WeightSet?, budget: Budget, seed: UInt64, progress: ProgressReporter? = nil,
    shouldStop: () -> Bool = { false }
  ) throws(NetAdaptError) -> Outcome {
    let network = try network(arch, weights: weights, seed: seed)
    let config = configuration(budget, seed: seed)
    let trainer = Trainer(network: network, configuration: config)
    var stopped = false
    do {
      if budget == .short || settings.longEpochs > 0 {
        stopped = try trainer.train(on: splits.train, progress: progress, shouldStop: shouldStop).stoppedEarly
      }
      let accuracy = try trainer.evaluate(on: rank).accuracy
      var weights = network.weights()
      weights.preprocessing = splits.train.preprocessing
      return Outcome(accuracy: accuracy, weights: weights, stoppedEarly: stopped)
    } catch {
      throw .training("\(arch.name ?? "the network"): \(error.description)")
    }
  }

  /// Accuracy of `weights` on the ranking images, without training.
  public func accuracy(_ arch: Architecture, weights: WeightSet) throws(NetAdaptError) -> Double {
    let trainer = Trainer(network: try network(arch, weights: weights, seed: settings.seed), configuration: configuration(.short, seed: 0))
    do { return try trainer.evaluate(on: rank).accuracy } catch { throw .training(error.description) }
  }

  /// Accuracy on the whole validation and test splits.
  public func finalScores(_ arch: Architecture, weights: WeightSet) throws(NetAdaptError) -> (validation: Double, test: Double) {
    let trainer = Trainer(network: try network(arch, weights: weights, seed: settings.seed), configuration: configuration(.short, seed: 0))
    do {
      return (try trainer.evaluate(on: splits.validation).accuracy, try trainer.evaluate(on: splits.test).accuracy)
    } catch {
      throw .training(error.description)
    }
  }

  /// Steps of a long budget (for progress totals).
  public var longSteps: Int { configuration(.long, seed: 0).totalSteps(trainingImages: splits.train.count) }
}
