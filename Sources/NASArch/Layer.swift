/// How a convolution is normalised.
public enum Normalization: String, Codable, Sendable, Hashable {
  /// Convolution without bias followed by batch norm (scale and shift count as parameters).
  case batchNorm
  /// Batch norm during training, folded into the convolution's bias when deployed: counted as
  /// a bias, as RepViT's fused inference form is. Latency always folds batch norm.
  case foldedBatchNorm
  /// No normalisation; the convolution has a bias (MobileNetV3's pooled head convs, "NBN").
  case none
}

/// A 2-D convolution with "same" padding, optional grouping (depthwise when groups equal the
/// channels), its normalisation and a fused activation.
public struct ConvLayer: Hashable, Codable, Sendable {
  public var kernel: Int
  public var stride: Int
  public var inChannels: Int
  public var outChannels: Int
  public var groups: Int
  public var normalization: Normalization
  public var activation: Activation

  public init(
    kernel: Int, stride: Int, inChannels: Int, outChannels: Int, groups: Int = 1,
    normalization: Normalization = .batchNorm, activation: Activation
  ) {
    self.kernel = kernel
    self.stride = stride
    self.inChannels = inChannels
    self.outChannels = outChannels
    self.groups = groups
    self.normalization = normalization
    self.activation = activation
  }

  public var isDepthwise: Bool { groups > 1 && groups == inChannels && groups == outChannels }
  public var isPointwise: Bool { kernel == 1 && groups == 1 }
  public var weightCount: Int { kernel * kernel * (inChannels / groups) * outChannels }
}

/// Squeeze-and-excite: global pool, a reducing 1×1 conv with bias and activation, an
/// expanding 1×1 conv with bias, a gate, and a channel-wise multiply.
public struct SqueezeExcite: Hashable, Codable, Sendable {
  public var channels: Int
  public var squeezeChannels: Int
  public var activation: Activation
  public var gate: Activation

  public init(channels: Int, squeezeChannels: Int, activation: Activation = .relu, gate: Activation = .hsigmoid) {
    self.channels = channels
    self.squeezeChannels = squeezeChannels
    self.activation = activation
    self.gate = gate
  }
}

/// A fully connected layer with bias, optionally preceded by batch norm and dropout.
public struct LinearLayer: Hashable, Codable, Sendable {
  public var inFeatures: Int
  public var outFeatures: Int
  public var normalizationBefore: Normalization?
  public var activation: Activation
  public var dropoutBefore: Double

  public init(
    inFeatures: Int, outFeatures: Int, normalizationBefore: Normalization? = nil, activation: Activation = .none,
    dropoutBefore: Double = 0
  ) {
    self.inFeatures = inFeatures
    self.outFeatures = outFeatures
    self.normalizationBefore = normalizationBefore
    self.activation = activation
    self.dropoutBefore = dropoutBefore
  }
}

/// One primitive operation of a lowered network.
public enum Layer: Hashable, Codable, Sendable {
  case conv(ConvLayer)
  case squeezeExcite(SqueezeExcite)
  case globalAveragePool
  case linear(LinearLayer)
}

/// A primitive layer placed in the network, with its resolved shapes and costs.
public struct PlacedLayer: Hashable, Codable, Sendable {
  public var layer: Layer
  public var input: Shape
  public var output: Shape
  /// Index of the unit this layer belongs to.
  public var unitIndex: Int
  /// Multiply-accumulates, counted as torchvision counts them (conv and FC, SE included).
  public var macs: Int
  /// Parameters, batch-norm scale and shift and biases included.
  public var params: Int
}

extension Layer {
  /// The output shape for `input`; nil when the layer cannot take that input.
  public func output(for input: Shape) -> Shape? {
    switch self {
    case .conv(let c):
      guard input.channels == c.inChannels else { return nil }
      // "Same" padding keeps every map at least 1x1; a stride on a 1-pixel side is where the
      // resolution would collapse below one pixel.
      guard c.stride == 1 || (input.height > 1 && input.width > 1) else { return nil }
      let h = Shape.convolved(input.height, kernel: c.kernel, stride: c.stride)
      let w = Shape.convolved(input.width, kernel: c.kernel, stride: c.stride)
      guard h >= 1, w >= 1 else { return nil }
      return Shape(height: h, width: w, channels: c.outChannels)
    case .squeezeExcite(let se):
      return input.channels == se.channels ? input : nil
    case .globalAveragePool:
      return Shape(height: 1, width: 1, channels: input.channels)
    case .linear(let l):
      guard input.height == 1, input.width == 1, input.channels == l.inFeatures else { return nil }
      return Shape(height: 1, width: 1, channels: l.outFeatures)
    }
  }

  /// Multiply-accumulates for this layer producing `output`.
  public func macs(output: Shape) -> Int {
    switch self {
    case .conv(let c): return c.weightCount * output.height * output.width
    case .squeezeExcite(let se): return 2 * se.channels * se.squeezeChannels
    case .globalAveragePool: return 0
    case .linear(let l): return l.inFeatures * l.outFeatures
    }
  }

  /// An upper bound of the weight count computed in floating point (for overflow checks).
  var weightCountBound: Double {
    switch self {
    case .conv(let c): return Double(c.kernel * c.kernel) * Double(c.inChannels) * Double(c.outChannels)
    case .squeezeExcite(let se): return 2 * Double(se.channels) * Double(se.squeezeChannels)
    case .globalAveragePool: return 0
    case .linear(let l): return Double(l.inFeatures) * Double(l.outFeatures)
    }
  }

  /// Parameter count.
  public var params: Int {
    switch self {
    case .conv(let c):
      switch c.normalization {
      case .batchNorm: return c.weightCount + 2 * c.outChannels
      case .foldedBatchNorm, .none: return c.weightCount + c.outChannels
      }
    case .squeezeExcite(let se):
      return 2 * se.channels * se.squeezeChannels + se.squeezeChannels + se.channels
    case .globalAveragePool:
      return 0
    case .linear(let l):
      let bn = l.normalizationBefore == .batchNorm ? 2 * l.inFeatures : 0
      return l.inFeatures * l.outFeatures + l.outFeatures + bn
    }
  }
}
