import Foundation
import NASArch
import NASSupport
import NASTrain

/// How long a NetAdapt run should take at its settings, printed before it starts so a user can
/// change the budget first. An estimate: the proposal count is an upper bound (every prunable
/// width, though only those that can meet an iteration's cut are tried), and the per-image
/// costs are timed on the seed, which narrows as the run goes.
public struct NetAdaptEstimate: Sendable, Hashable {
  /// Seconds per image, timed on the seed's proxy network on this machine.
  public struct ImageCost: Sendable, Hashable {
    /// One image of a training step (forward, backward and update).
    public var training: Double
    /// One image scored (forward only).
    public var scoring: Double

    public init(training: Double, scoring: Double) {
      self.training = training
      self.scoring = scoring
    }
  }

  /// The images a run trains and scores, from the data set's sizes.
  public struct Images: Sendable, Hashable {
    /// Steps of the long budget (the seed's training and the final fine-tune).
    public var longSteps: Int
    /// Images per step (the batch size, or the training set when smaller).
    public var batch: Int
    /// The ranking images each proposal is scored on.
    public var ranking: Int
    /// The validation and test images the final network is scored on.
    public var final: Int

    public init(longSteps: Int, batch: Int, ranking: Int, final: Int) {
      self.longSteps = longSteps
      self.batch = batch
      self.ranking = ranking
      self.final = final
    }
  }

  public var iterations: Int
  public var proposalsPerIteration: Int
  public var secondsPerProposal: Double
  /// The seed's training (0 with `--weights`).
  public var seedSeconds: Double
  public var finalSeconds: Double

  public var totalSeconds: Double { Double(iterations * proposalsPerIteration) * secondsPerProposal + seedSeconds + finalSeconds }

  /// Iterations ≈ (1 − target/seed) / step ratio (at most `--max-iterations`); proposals per
  /// iteration ≈ the seed's prunable widths; a proposal is `--short-steps` × batch training
  /// images plus the ranking images; the seed's training (without `--weights`) and the final
  /// fine-tune are the long budget's steps × batch, each then scored.
  public static func make(
    settings: NetAdaptSettings, seedMs: Double, targetMs: Double, prunableWidths: Int, images: Images, cost: ImageCost
  ) -> NetAdaptEstimate {
    let fraction = max(0, 1 - targetMs / seedMs)
    // Each iteration cuts up to δ and the last one only the rest, so partial steps round up;
    // the tolerance keeps (1 − 0.5) / 0.05 at 10 rather than 11.
    var iterations = Int((fraction / settings.stepRatio - 1e-9).rounded(.up))
    if let limit = settings.maxIterations { iterations = min(iterations, limit) }
    let proposal = Double(settings.shortSteps * images.batch) * cost.training + Double(images.ranking) * cost.scoring
    let longImages = settings.longEpochs > 0 ? Double(images.longSteps * images.batch) : 0
    let seed = settings.weightsPath == nil ? longImages * cost.training + Double(images.ranking) * cost.scoring : 0
    let final = longImages * cost.training + Double(images.final) * cost.scoring
    return NetAdaptEstimate(
      iterations: max(0, iterations), proposalsPerIteration: prunableWidths, secondsPerProposal: proposal, seedSeconds: seed, finalSeconds: final)
  }

  /// The line printed before the run starts.
  public var text: String {
    func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
    var parts = [
      "about \(plural(iterations, "iteration")) × up to \(plural(proposalsPerIteration, "proposal")) × \(Self.duration(secondsPerProposal)) each"
    ]
    if seedSeconds > 0 { parts.append("seed training \(Self.duration(seedSeconds))") }
    parts.append("final fine-tune \(Self.duration(finalSeconds))")
    return "estimate (from the settings and one timed step; not a promise): up to \(Self.duration(totalSeconds)): "
      + parts.joined(separator: ", ")
  }

  /// Tenths of a second below 10 s, where a proposal's cost often is; whole units above.
  static func duration(_ seconds: Double) -> String {
    seconds.isFinite && seconds < 9.95 ? "\(Format.fixed(seconds, 1))s" : ProgressReporter.formatDuration(seconds)
  }
}

extension FineTuner {
  /// The images a run of these settings trains and scores.
  var estimateImages: NetAdaptEstimate.Images {
    NetAdaptEstimate.Images(
      longSteps: longSteps, batch: min(settings.batchSize, splits.train.count), ranking: rank.count,
      final: splits.validation.count + splits.test.count)
  }

  /// Times one training step and one scored batch of `arch`'s proxy (random weights; the
  /// weights do not change the time), per image.
  func imageCost(_ arch: Architecture) throws(NetAdaptError) -> NetAdaptEstimate.ImageCost {
    let network = try network(arch, weights: nil, seed: settings.seed)
    var config = configuration(.short, seed: settings.seed)
    config.steps = 1
    let trainer = Trainer(network: network, configuration: config)
    let batch = min(settings.batchSize, splits.train.count)
    let scored = rank.subset(Array(0..<min(batch, rank.count)))
    do {
      let trained = try trainer.train(on: splits.train)
      let start = ContinuousClock.now
      _ = try trainer.evaluate(on: scored)
      let elapsed = start.duration(to: .now)
      let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
      return .init(training: trained.seconds / Double(max(1, batch)), scoring: seconds / Double(max(1, scored.count)))
    } catch {
      throw .training("timing \(arch.name ?? "the seed") for the estimate: \(error.description)")
    }
  }
}
