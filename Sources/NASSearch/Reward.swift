import Foundation

/// MnasNet's reward ACC(m) × [LAT(m)/T]^w, with w = α where LAT ≤ T and w = β above it.
///
/// `α = β = w` is the soft constraint (MnasNet used −0.07, MobileNetV3-Small −0.15);
/// `α = 0, β = −1` is the hard constraint.
public struct Reward: Codable, Hashable, Sendable {
  public var targetMilliseconds: Double
  public var alpha: Double
  public var beta: Double

  public init(targetMilliseconds: Double, alpha: Double, beta: Double) {
    self.targetMilliseconds = targetMilliseconds
    self.alpha = alpha
    self.beta = beta
  }

  /// The soft constraint with one exponent for both sides.
  public init(targetMilliseconds: Double, w: Double) {
    self.init(targetMilliseconds: targetMilliseconds, alpha: w, beta: w)
  }

  /// The reward of a network with `accuracy` (any score where higher is better) and latency.
  public func callAsFunction(accuracy: Double, latencyMilliseconds: Double) -> Double {
    guard latencyMilliseconds > 0, targetMilliseconds > 0 else { return 0 }
    let ratio = latencyMilliseconds / targetMilliseconds
    let w = latencyMilliseconds <= targetMilliseconds ? alpha : beta
    return accuracy * pow(ratio, w)
  }

  /// Problems with the settings, for the command line to report.
  public var problems: [String] {
    var out: [String] = []
    if !(targetMilliseconds > 0) || !targetMilliseconds.isFinite { out.append("--target-ms must be a positive number of milliseconds") }
    if alpha > 0 || beta > 0 { out.append("the exponents must not be positive (a positive exponent rewards slower networks)") }
    if !alpha.isFinite || !beta.isFinite { out.append("the exponents must be finite numbers") }
    return out
  }
}
