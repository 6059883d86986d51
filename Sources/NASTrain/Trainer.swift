import Foundation
import NASSupport

/// Settings of one training run. The budget is ``epochs`` (may be fractional) or ``steps``
/// (steps win when both are set).
public struct TrainingConfiguration: Codable, Hashable, Sendable {
  public var epochs: Double
  public var steps: Int?
  /// Length of the learning-rate schedule in steps, when it is longer than this run: a rung of
  /// successive halving trains the first `steps` of a schedule of the top rung's length, so a
  /// promoted candidate continues the same schedule. Nil: the schedule is this run's budget.
  public var scheduleSteps: Int?
  public var batchSize: Int
  /// Peak learning rate (reached after warm-up).
  public var learningRate: Double
  /// Warm-up as a fraction of all steps.
  public var warmupFraction: Double
  public var optimizer: SGD
  public var labelSmoothing: Double
  /// Seeds initialisation, shuffling and dropout.
  public var seed: UInt64
  /// Kernel threads (the engine's own batch split; OpenBLAS runs one thread per call).
  public var threads: Int

  public init(
    epochs: Double = 1, steps: Int? = nil, batchSize: Int = 128, learningRate: Double = 0.2, warmupFraction: Double = 0.05,
    optimizer: SGD = SGD(), labelSmoothing: Double = 0.1, seed: UInt64 = 0, threads: Int = 2
  ) {
    self.epochs = epochs
    self.steps = steps
    self.batchSize = batchSize
    self.learningRate = learningRate
    self.warmupFraction = warmupFraction
    self.optimizer = optimizer
    self.labelSmoothing = labelSmoothing
    self.seed = seed
    self.threads = threads
  }

  /// Checks the values a user can set.
  public func validate() throws(TrainError) {
    guard batchSize >= 2 else { throw .invalidSetting("batch size must be at least 2 (batch norm needs two samples), got \(batchSize)") }
    guard epochs > 0 || (steps ?? 0) > 0 else { throw .invalidSetting("the budget must be positive (epochs \(epochs), steps \(steps ?? 0))") }
    guard learningRate > 0, learningRate.isFinite else { throw .invalidSetting("learning rate must be positive, got \(learningRate)") }
    guard (0..<1).contains(labelSmoothing) else { throw .invalidSetting("label smoothing must be in [0, 1), got \(labelSmoothing)") }
    guard (0...1).contains(warmupFraction) else { throw .invalidSetting("warm-up fraction must be in [0, 1], got \(warmupFraction)") }
    guard threads >= 1 else { throw .invalidSetting("threads must be at least 1, got \(threads)") }
    if let scheduleSteps, let steps, scheduleSteps < steps {
      throw .invalidSetting("the schedule (\(scheduleSteps) steps) must be at least as long as the training (\(steps) steps)")
    }
  }

  /// Steps for a training set of `count` images (whole batches only).
  public func totalSteps(trainingImages count: Int) -> Int {
    if let steps { return max(1, steps) }
    let perEpoch = max(1, count / batchSize)
    let steps = (epochs * Double(perEpoch)).rounded()
    // A huge (or infinite) epoch count means "until stopped", not a trap converting to Int.
    return steps < Double(Int.max) ? max(1, Int(steps)) : Int.max
  }
}

/// What a training run did.
public struct TrainingSummary: Codable, Hashable, Sendable {
  public var steps: Int
  public var epochs: Double
  public var seconds: Double
  public var imagesPerSecond: Double
  /// Mean training loss over the last tenth of the steps.
  public var finalLoss: Double
  /// Training accuracy over the last tenth of the steps (with dropout and batch statistics).
  public var finalTrainingAccuracy: Double
  /// Whether a stop request ended the run early.
  public var stoppedEarly: Bool
}

/// Accuracy and mean loss on a data set.
public struct AccuracySummary: Codable, Hashable, Sendable {
  public var accuracy: Double
  public var loss: Double
  public var images: Int
}

/// Trains a single-precision network with SGD on a data set.
public final class Trainer {
  public let network: Network<Float>
  public let configuration: TrainingConfiguration

  public init(network: Network<Float>, configuration: TrainingConfiguration) {
    self.network = network
    self.configuration = configuration
    network.threads = configuration.threads
  }

  /// Trains for the configured budget. `progress` counts steps; `shouldStop` is polled every
  /// step and ends the run early (the summary says so). From a `checkpoint` (taken by a run of
  /// the same seed, schedule and data) the run continues at its step with its weights and
  /// momentum, and ends where an uninterrupted run of the budget would.
  public func train(
    on data: Dataset, from checkpoint: TrainingCheckpoint? = nil, progress: ProgressReporter? = nil, shouldStop: () -> Bool = { false }
  ) throws(TrainError) -> TrainingSummary {
    try configuration.validate()
    try checkShape(data)
    // The engine splits every kernel over its own threads; OpenBLAS must not add more.
    BLASThreads.set(1)
    let batch = min(configuration.batchSize, data.count)
    guard batch >= 2 else { throw .invalidSetting("the training set has \(data.count) images; at least 2 are needed") }
    let total = configuration.totalSteps(trainingImages: data.count)
    let horizon = max(total, configuration.scheduleSteps ?? total)
    let schedule = CosineSchedule(
      peak: configuration.learningRate, warmupSteps: Int(Double(horizon) * configuration.warmupFraction), totalSteps: horizon)
    let first = checkpoint?.step ?? 0
    guard first <= total else {
      throw .invalidSetting("the checkpoint is at step \(first), past this run's \(total) steps")
    }
    if let checkpoint { try checkpoint.restore(into: network) }
    let classes = network.architecture.classes
    var rng = SeededGenerator(seed: configuration.seed &+ 0x5_4A1E)
    var order = Array(0..<data.count)
    rng.shuffle(&order)
    var cursor = 0
    // The data order at the checkpoint's step: the same shuffles an uninterrupted run made.
    for _ in 0..<first {
      if cursor + batch > order.count {
        rng.shuffle(&order)
        cursor = 0
      }
      cursor += batch
    }
    let x = Buffer<Float>(count: batch * data.sampleSize)
    let y = UnsafeMutablePointer<Int32>.allocate(capacity: batch)
    defer { y.deallocate() }
    let g = Buffer<Float>(count: batch * classes)
    let tail = max(1, (total - first) / 10)
    var tailLoss = 0.0, tailCorrect = 0, tailImages = 0
    let start = Date()
    var done = 0
    var stopped = false
    for step in first..<total {
      if shouldStop() {
        stopped = true
        break
      }
      if cursor + batch > order.count {
        rng.shuffle(&order)
        cursor = 0
      }
      data.gather(order[cursor..<(cursor + batch)], into: x.pointer, labels: y)
      cursor += batch
      let ctx = RunContext<Float>.training(threads: configuration.threads, seed: configuration.seed &+ UInt64(step) &* 0x9E37)
      let logits = network.forward(network.input(from: x.pointer, batch: batch), ctx)
      let (loss, correct) = SoftmaxCrossEntropy.evaluate(
        logits: logits.pointer, labels: y, batch: batch, classes: classes, smoothing: configuration.labelSmoothing,
        gradient: g.pointer)
      guard loss.isFinite else { throw .diverged(step: step, loss: loss) }
      network.zeroGradients()
      network.backward(Tensor(buffer: g, batch: batch, height: 1, width: 1, channels: classes), ctx)
      configuration.optimizer.step(network.parameters, learningRate: schedule.rate(at: step))
      if step >= total - tail {
        tailLoss += loss
        tailCorrect += correct
        tailImages += batch
      }
      done += 1
      progress?.advance(by: 1, note: "loss \(Format.fixed(loss, 3))")
    }
    let seconds = Date().timeIntervalSince(start)
    let tailSteps = max(1, tailImages / batch)
    return TrainingSummary(
      steps: done, epochs: Double(done * batch) / Double(data.count), seconds: seconds,
      imagesPerSecond: seconds > 0 ? Double(done * batch) / seconds : 0, finalLoss: tailImages > 0 ? tailLoss / Double(tailSteps) : .nan,
      finalTrainingAccuracy: tailImages > 0 ? Double(tailCorrect) / Double(tailImages) : .nan, stoppedEarly: stopped)
  }

  /// Top-1 accuracy and mean loss (without label smoothing) in inference mode.
  public func evaluate(on data: Dataset, batchSize: Int = 250) throws(TrainError) -> AccuracySummary {
    try checkShape(data)
    BLASThreads.set(1)
    return Self.evaluate(network, on: data, batchSize: batchSize, threads: configuration.threads)
  }

  static func evaluate(_ network: Network<Float>, on data: Dataset, batchSize: Int, threads: Int) -> AccuracySummary {
    let classes = network.architecture.classes
    let b = max(1, min(batchSize, data.count))
    let x = Buffer<Float>(count: b * data.sampleSize)
    let y = UnsafeMutablePointer<Int32>.allocate(capacity: b)
    defer { y.deallocate() }
    var correct = 0
    var loss = 0.0
    let ctx = RunContext<Float>.inference(threads: threads)
    var i = 0
    let all = Array(0..<data.count)
    while i < data.count {
      let n = min(b, data.count - i)
      data.gather(all[i..<(i + n)], into: x.pointer, labels: y)
      let logits = network.forward(network.input(from: x.pointer, batch: n), ctx)
      let r = SoftmaxCrossEntropy.evaluate(logits: logits.pointer, labels: y, batch: n, classes: classes, smoothing: 0, gradient: nil)
      correct += r.correct
      loss += r.loss * Double(n)
      i += n
    }
    return AccuracySummary(
      accuracy: Double(correct) / Double(max(1, data.count)), loss: loss / Double(max(1, data.count)), images: data.count)
  }

  private func checkShape(_ data: Dataset) throws(TrainError) {
    let a = network.architecture
    guard a.inputSize == data.height, a.inputSize == data.width, a.inputChannels == data.channels else {
      throw .invalidSetting(
        "the network takes \(a.inputSize)x\(a.inputSize)x\(a.inputChannels) images but \(data.name) has \(data.height)x\(data.width)x\(data.channels); derive the proxy with ProxyRule")
    }
    guard a.classes == data.classes else {
      throw .invalidSetting("the network has \(a.classes) classes but \(data.name) has \(data.classes)")
    }
  }
}
