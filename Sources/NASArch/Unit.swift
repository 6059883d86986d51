/// The operation of one unit, the level at which the DSL describes networks and at which the
/// runtime executes them together (one latency-table entry per distinct unit and input).
public enum UnitOp: String, CaseIterable, Codable, Sendable, Hashable {
  /// k×k convolution, normalisation, activation, optional squeeze-excite.
  case conv
  /// Depthwise-separable convolution: depthwise k×k + BN + act, optional SE, pointwise 1×1 +
  /// BN (+ `pwActivation`, which MobileNetV1 sets and MnasNet/MobileNetV2 leave linear).
  case sepconv
  /// Inverted residual (MBConv): 1×1 expansion to `mid` (absent when `mid` equals the input
  /// channels), depthwise k×k, optional SE, linear 1×1 projection.
  case mbconv
  /// RepViT block (fused inference form): depthwise k×k token mixer, optional SE, then a
  /// residual FFN channel mixer (1×1 to `mid`, GELU, 1×1 back).
  case repvit
  /// RepViT downsampling layer: depthwise k×k stride 2, 1×1 to `out`, then a residual FFN.
  case repvitDown = "repvit-down"
  /// Global average pooling.
  case pool
  /// The final fully connected layer to the classes.
  case classifier
}

/// Where a unit sits; the DSL keyword that introduces it.
public enum UnitRole: String, Codable, Sendable, Hashable {
  case stem, block, head, classifier
}

/// Squeeze-excite settings of a unit, resolved to absolute channels.
public struct UnitSqueezeExcite: Hashable, Codable, Sendable {
  public var squeezeChannels: Int
  public var gate: Activation
  public var activation: Activation

  public init(squeezeChannels: Int, gate: Activation, activation: Activation = .relu) {
    self.squeezeChannels = squeezeChannels
    self.gate = gate
    self.activation = activation
  }
}

/// One concrete unit of an architecture: every choice fixed, every width absolute.
///
/// Input channels are not stored: they are the previous unit's output (or the network
/// input), so that changing one width (as NetAdapt does) keeps the chain consistent.
public struct Unit: Hashable, Codable, Sendable {
  public var role: UnitRole
  public var op: UnitOp
  public var kernel: Int
  public var stride: Int
  /// Output channels (ignored for `pool`; the class count for `classifier`).
  public var outChannels: Int
  /// Expanded channels of `mbconv`, hidden channels of the RepViT FFN; nil otherwise.
  public var midChannels: Int?
  public var squeezeExcite: UnitSqueezeExcite?
  public var activation: Activation
  /// Activation after the pointwise conv of a `sepconv` (MobileNetV1); `none` elsewhere.
  public var pwActivation: Activation
  /// Identity residual around the unit (valid only where stride is 1 and channels match).
  public var residual: Bool
  public var normalization: Normalization
  /// Dropout before the classifier.
  public var dropout: Double

  public init(
    role: UnitRole, op: UnitOp, kernel: Int = 1, stride: Int = 1, outChannels: Int = 0, midChannels: Int? = nil,
    squeezeExcite: UnitSqueezeExcite? = nil, activation: Activation = .none, pwActivation: Activation = .none,
    residual: Bool = false, normalization: Normalization = .batchNorm, dropout: Double = 0
  ) {
    self.role = role
    self.op = op
    self.kernel = kernel
    self.stride = stride
    self.outChannels = outChannels
    self.midChannels = midChannels
    self.squeezeExcite = squeezeExcite
    self.activation = activation
    self.pwActivation = pwActivation
    self.residual = residual
    self.normalization = normalization
    self.dropout = dropout
  }
}

/// A run of layers in a lowered unit, with an identity residual around it when `residual`.
public struct UnitSegment: Hashable, Sendable {
  public var layers: [Layer]
  public var residual: Bool
}
