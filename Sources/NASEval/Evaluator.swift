import Foundation
import NASArch

/// The score of one architecture by one evaluator.
public struct Evaluation: Codable, Hashable, Sendable {
  /// The evaluator's name: `train`, `zen`, `naswot`, `synflow` or `cmd`.
  public var evaluator: String
  /// Accuracy in [0, 1] (`train`, `cmd`) or a proxy score (`zen`, `naswot`, `synflow`; see
  /// ``isAccuracy``).
  public var value: Double
  /// Whether ``value`` is an accuracy. Zero-cost scores are only comparable with each other:
  /// rank them, do not multiply them into the MnasNet reward as if they were accuracies.
  public var isAccuracy: Bool
  public var seconds: Double
  /// Evaluator-specific figures (losses, steps, throughput, score spread).
  public var details: [String: Double]

  public init(evaluator: String, value: Double, isAccuracy: Bool, seconds: Double, details: [String: Double] = [:]) {
    self.evaluator = evaluator
    self.value = value
    self.isAccuracy = isAccuracy
    self.seconds = seconds
    self.details = details
  }

  /// The detail that names the training step a rung of successive halving continued from.
  public static let continuedFromStepKey = "continued_from_step"

  /// The step a training began at: the checkpoint's step when it continued one, else 0.
  public var continuedFromStep: Int { Int(details[Self.continuedFromStepKey] ?? 0) }
}

/// Why an evaluation failed; the message is what the results store keeps.
public struct EvaluationError: Error, CustomStringConvertible, Hashable, Sendable {
  public var message: String
  public var timedOut: Bool

  public init(_ message: String, timedOut: Bool = false) {
    self.message = message
    self.timedOut = timedOut
  }

  public var description: String { message }
}

/// Scores architectures: the one interface search and NetAdapt call.
///
/// An evaluator is built once (it loads its data then) and called for many architectures.
/// It never touches the results store: the caller records ``configurationJSON`` and the
/// outcome. A failure is returned, never thrown, so a run records it and goes on.
public protocol Evaluator: Sendable {
  /// `train`, `zen`, `naswot`, `synflow` or `cmd`.
  var name: String { get }
  /// The evaluator name and every setting that changes its result, as canonical JSON
  /// (sorted keys). Two evaluations are comparable (and reusable) when these are equal.
  var configurationJSON: String { get }
  /// Whether the values are accuracies (`train`, `cmd`) rather than scores that only rank
  /// (`zen`, `naswot`, `synflow`); the search warns before multiplying a score into its reward.
  var givesAccuracy: Bool { get }
  /// Scores `architecture` (the deployment architecture; evaluators derive any proxy
  /// themselves).
  func evaluate(_ architecture: Architecture) -> Result<Evaluation, EvaluationError>
}

extension Evaluator {
  public var givesAccuracy: Bool { true }
}

enum CanonicalJSON {
  /// Sorted-key compact JSON of an encodable value.
  static func string<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(value) else { return "{}" }
    return String(decoding: data, as: UTF8.self)
  }
}
