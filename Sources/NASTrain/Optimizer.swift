import Foundation

/// Stochastic gradient descent with momentum (optionally Nesterov) and L2 weight decay, as PyTorch's `torch.optim.SGD`: v = μ·v + (g + λ·θ); θ -= lr·v (or
/// θ -= lr·(g + λ·θ + μ·v) with Nesterov). Weight decay applies to convolution and fully
/// connected weights only, not to biases or batch-norm parameters.
public struct SGD: Codable, Hashable, Sendable {
  public var momentum: Double
  public var nesterov: Bool
  public var weightDecay: Double

  public init(momentum: Double = 0.9, nesterov: Bool = true, weightDecay: Double = 4e-5) {
    self.momentum = momentum
    self.nesterov = nesterov
    self.weightDecay = weightDecay
  }

  func step<T: TrainScalar>(_ parameters: [Parameter<T>], learningRate: Double) {
    let mu = T(momentum), lr = T(learningRate)
    for p in parameters where p.kind.isTrainable {
      let n = p.count
      if p.velocity == nil { p.velocity = Buffer(count: n) }
      let v = p.velocity!.pointer, w = p.value.pointer, g = p.gradient.pointer
      let wd = T(p.kind == .weight ? weightDecay : 0)
      blocks(n) { i, m in
        let wv = load8(w + i, m)
        let gv = load8(g + i, m) + wd * wv
        let vv = mu * load8(v + i, m) + gv
        store8(vv, v + i, m)
        let update = nesterov ? gv + mu * vv : vv
        store8(wv - lr * update, w + i, m)
      }
    }
  }
}

/// Learning rate over training: linear warm-up from lr/warmup to the peak, then cosine decay
/// to zero at the last step.
public struct CosineSchedule: Codable, Hashable, Sendable {
  public var peak: Double
  public var warmupSteps: Int
  public var totalSteps: Int

  public init(peak: Double, warmupSteps: Int, totalSteps: Int) {
    self.peak = peak
    self.warmupSteps = max(0, warmupSteps)
    self.totalSteps = max(1, totalSteps)
  }

  /// The rate for step `step` (0-based).
  public func rate(at step: Int) -> Double {
    if step < warmupSteps { return peak * Double(step + 1) / Double(warmupSteps) }
    let span = max(1, totalSteps - warmupSteps)
    let t = min(1, Double(step - warmupSteps) / Double(span))
    return 0.5 * peak * (1 + cos(Double.pi * t))
  }
}
