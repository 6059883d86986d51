import NASArch
import NASSupport

/// Inference-time parameters of one lowered layer, batch norm already folded in.
///
/// Convolution weights are laid out `[out][kh][kw][in/groups]` (OHWI) for every kind of
/// convolution, depthwise included; the XNNPACK builder re-lays depthwise filters as XNNPACK
/// wants them. Fully connected weights are `[out][in]`.
public enum LayerParameters: Sendable {
  case conv(weights: [Float], bias: [Float])
  case squeezeExcite(reduceWeights: [Float], reduceBias: [Float], expandWeights: [Float], expandBias: [Float])
  case pool
  case linear(weights: [Float], bias: [Float])
}

/// Batch-norm folding: `conv(x)·γ/σ + (β − μ·γ/σ)` becomes one convolution with a bias.
public enum BatchNormFolding {
  /// Batch-norm statistics of one layer, per channel.
  public struct Statistics: Sendable {
    public var gamma: [Float]
    public var beta: [Float]
    public var mean: [Float]
    public var variance: [Float]
    public var epsilon: Float

    public init(gamma: [Float], beta: [Float], mean: [Float], variance: [Float], epsilon: Float = 1e-5) {
      self.gamma = gamma
      self.beta = beta
      self.mean = mean
      self.variance = variance
      self.epsilon = epsilon
    }
  }

  /// Folds batch norm after a convolution whose weights are `[out][...]` (output channel slowest).
  public static func foldAfter(weights: [Float], outChannels: Int, bn: Statistics) -> (weights: [Float], bias: [Float]) {
    let perOut = weights.count / outChannels
    var w = weights
    var bias = [Float](repeating: 0, count: outChannels)
    for o in 0..<outChannels {
      let scale = bn.gamma[o] / (bn.variance[o] + bn.epsilon).squareRoot()
      for i in 0..<perOut { w[o * perOut + i] *= scale }
      bias[o] = bn.beta[o] - bn.mean[o] * scale
    }
    return (w, bias)
  }

  /// Folds batch norm applied to the input of a fully connected layer (`[out][in]` weights).
  public static func foldBefore(weights: [Float], bias: [Float], inFeatures: Int, bn: Statistics) -> (weights: [Float], bias: [Float]) {
    let outFeatures = bias.count
    var w = weights
    var b = bias
    for i in 0..<inFeatures {
      let scale = bn.gamma[i] / (bn.variance[i] + bn.epsilon).squareRoot()
      let shift = bn.beta[i] - bn.mean[i] * scale
      for o in 0..<outFeatures {
        b[o] += weights[o * inFeatures + i] * shift
        w[o * inFeatures + i] = weights[o * inFeatures + i] * scale
      }
    }
    return (w, b)
  }
}

/// Random parameters for timing and testing: He-uniform weights (activations keep a unit
/// scale, so no denormals slow the kernels) and random batch-norm statistics, folded.
public struct ParameterGenerator {
  public var rng: SeededGenerator

  public init(seed: UInt64) { rng = SeededGenerator(seed: seed) }

  mutating func uniform(_ count: Int, _ bound: Float) -> [Float] {
    var out = [Float](repeating: 0, count: count)
    for i in 0..<count { out[i] = Float(rng.unitDouble() * 2 - 1) * bound }
    return out
  }

  mutating func uniform(_ count: Int, in range: ClosedRange<Float>) -> [Float] {
    var out = [Float](repeating: 0, count: count)
    for i in 0..<count { out[i] = range.lowerBound + Float(rng.unitDouble()) * (range.upperBound - range.lowerBound) }
    return out
  }

  mutating func statistics(_ channels: Int) -> BatchNormFolding.Statistics {
    BatchNormFolding.Statistics(
      gamma: uniform(channels, in: 0.5...1.5), beta: uniform(channels, 0.1), mean: uniform(channels, 0.1),
      variance: uniform(channels, in: 0.5...1.5))
  }

  /// Folded parameters for one layer.
  public mutating func parameters(for layer: Layer) -> LayerParameters {
    switch layer {
    case .conv(let c):
      let fanIn = c.kernel * c.kernel * (c.inChannels / c.groups)
      let w = uniform(c.weightCount, (6 / Float(fanIn)).squareRoot())
      if c.normalization == .none { return .conv(weights: w, bias: uniform(c.outChannels, 0.1)) }
      let folded = BatchNormFolding.foldAfter(weights: w, outChannels: c.outChannels, bn: statistics(c.outChannels))
      return .conv(weights: folded.weights, bias: folded.bias)
    case .squeezeExcite(let se):
      return .squeezeExcite(
        reduceWeights: uniform(se.squeezeChannels * se.channels, (6 / Float(se.channels)).squareRoot()),
        reduceBias: uniform(se.squeezeChannels, 0.1),
        expandWeights: uniform(se.channels * se.squeezeChannels, (6 / Float(se.squeezeChannels)).squareRoot()),
        expandBias: uniform(se.channels, 0.1))
    case .globalAveragePool:
      return .pool
    case .linear(let l):
      let w = uniform(l.outFeatures * l.inFeatures, (3 / Float(l.inFeatures)).squareRoot())
      let b = uniform(l.outFeatures, 0.1)
      guard l.normalizationBefore != nil else { return .linear(weights: w, bias: b) }
      let folded = BatchNormFolding.foldBefore(weights: w, bias: b, inFeatures: l.inFeatures, bn: statistics(l.inFeatures))
      return .linear(weights: folded.weights, bias: folded.bias)
    }
  }

  /// Folded parameters for every layer of every unit, in lowering order.
  public mutating func parameters(for units: [PlacedUnit]) -> [[LayerParameters]] {
    units.map { u in u.layers.map { parameters(for: $0.layer) } }
  }
}
