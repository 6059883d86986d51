import Foundation

/// How proposals are compared.
public enum NetAdaptSelection: String, Codable, Sendable, CaseIterable {
  /// MobileNetV3: the largest accuracy change per millisecond saved.
  case slope
  /// The original NetAdapt: the highest accuracy after the short fine-tune.
  case accuracy
}

/// Every setting that decides a NetAdapt run's result (stored as the run's parameters; a
/// resumed run must have the same).
public struct NetAdaptSettings: Codable, Hashable, Sendable {
  /// Absolute target in milliseconds, or a fraction of the seed's predicted latency (at most
  /// one; a run stores the one ``NetAdaptTarget`` chose when neither was given).
  public var targetMs: Double?
  public var targetRatio: Double?
  /// The latency each iteration removes, as a fraction of the seed's latency (δ = 0.01·L).
  public var stepRatio: Double = 0.01
  /// Fine-tune steps per proposal (MobileNetV3 used 10,000 on ImageNet).
  public var shortSteps: Int = 20
  /// Epochs of the final fine-tune (and of the seed's training when no weights are given).
  public var longEpochs: Double = 1
  public var selection: NetAdaptSelection = .slope
  public var divisor: Int = 8
  public var data: String = "fashion-mnist"
  public var maxDownsampling: Int = 32
  public var batchSize: Int = 128
  /// Peak learning rate of the seed's training and the final fine-tune.
  public var learningRate: Double = 0.05
  /// Peak learning rate of the short fine-tunes.
  public var shortLearningRate: Double = 0.01
  /// Validation images the proposals are ranked on (the final network is scored on all).
  public var rankImages: Int = 2000
  /// Stop after this many iterations even when the target is not met (nil: no limit).
  public var maxIterations: Int?
  public var seed: UInt64 = 0
  /// The seed architecture's hash and the weights file it started from (nil: trained first).
  public var seedHash: String = ""
  public var weightsPath: String?
  /// The device profile of the latency predictor.
  public var device: String = ""
  public var threads: Int = 2

  public init() {}

  /// The defaults, which `nas netadapt`'s options show.
  public static let defaults = NetAdaptSettings()

  /// Checks the values a user can set.
  public func validate() throws(NetAdaptError) {
    // Neither is fine: the target is then the search's, or NetAdaptTarget.defaultRatio.
    if targetMs != nil && targetRatio != nil { throw .setting("give --target-ms or --target-ratio, not both") }
    if let t = targetMs, !(t > 0 && t.isFinite) { throw .setting("--target-ms must be a positive number of milliseconds, got \(t)") }
    if let r = targetRatio, !(r > 0 && r < 1) { throw .setting("--target-ratio must be between 0 and 1 (0.5 halves the latency), got \(r)") }
    guard stepRatio > 0, stepRatio < 1 else { throw .setting("--step-ratio must be between 0 and 1 (0.01 is 1% of the seed's latency), got \(stepRatio)") }
    guard shortSteps >= 1 else { throw .setting("--short-steps must be at least 1") }
    guard longEpochs >= 0, longEpochs.isFinite else { throw .setting("--long-epochs must be 0 or more") }
    guard divisor >= 1 else { throw .setting("--divisor must be at least 1") }
    guard batchSize >= 2 else { throw .setting("--batch-size must be at least 2 (batch norm needs two images)") }
    guard learningRate > 0, shortLearningRate > 0 else { throw .setting("learning rates must be positive") }
    guard rankImages >= 10 else { throw .setting("--rank-images must be at least 10") }
    guard maxDownsampling >= 1 else { throw .setting("--max-downsampling must be at least 1") }
    if let m = maxIterations, m < 1 { throw .setting("--max-iterations must be at least 1") }
  }

  /// The target in milliseconds for a seed predicted at `seedMs`.
  public func target(seedMs: Double) -> Double { targetMs ?? seedMs * (targetRatio ?? 1) }

  /// Settings that differ from `other`, as `name: stored → now` (thread counts excepted).
  public func differences(from other: NetAdaptSettings) -> [String] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    func fields(_ s: NetAdaptSettings) -> [String: String] {
      var copy = s
      copy.threads = 0
      guard let data = try? encoder.encode(copy), let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
        return [:]
      }
      return object.mapValues { "\($0)" }
    }
    let a = fields(self), b = fields(other)
    return Set(a.keys).union(b.keys).sorted().compactMap { k in
      a[k] == b[k] ? nil : "\(k): \(a[k] ?? "none") → \(b[k] ?? "none")"
    }
  }
}
