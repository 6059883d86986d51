import NASArch

/// Which channels a squeeze-excite ratio is taken of.
public enum SqueezeExciteReference: String, Sendable, Hashable {
  /// The unit's input channels (MnasNet, EfficientNet).
  case input
  /// The expanded (depthwise) channels (MobileNetV3).
  case expanded
}

/// How the global width multiplier applies to a statement's channels.
public enum WidthScaling: String, Sendable, Hashable {
  /// Scaled and rounded to the divisor (the default).
  case yes
  /// Never scaled (MnasNet's and MobileNetV3's 1280-wide head).
  case no
  /// Scaled only when the multiplier exceeds 1 (MobileNetV2's last conv).
  case up
}

/// One `stem`, `block`, `head` or `classifier` statement of a space: a unit description
/// whose parameters may hold alternatives, repeated `repeatCount` (+ depth delta) times.
public struct UnitTemplate: Sendable {
  public var role: UnitRole
  public var location: SourceLocation

  // Chosen once per block.
  public var stride: Choice<Int>
  public var widthFactor: Choice<Double>
  public var depthDelta: Choice<Int>
  public var repeatCount: Int
  public var out: Int?

  // Chosen per block (shared) or per layer (`choose=per-layer`).
  public var op: Choice<UnitOp>
  public var kernel: Choice<Int>
  public var expand: Choice<Double>?
  public var mid: Choice<Int>?
  public var seRatio: Choice<Double>?
  public var seChannels: Choice<Int>?
  public var seGate: Choice<Activation>
  public var activation: Choice<Activation>
  public var pwActivation: Choice<Activation>
  public var skip: Choice<Bool>

  // Fixed settings.
  public var seReference: SqueezeExciteReference
  public var seActivation: Activation
  public var seDivisor: Int?
  public var seAlternate: Bool
  public var normalization: Normalization?
  public var scale: WidthScaling
  public var dropout: Double
  public var perLayer: Bool

  public init(role: UnitRole, location: SourceLocation) {
    self.role = role
    self.location = location
    stride = .fixed(1)
    widthFactor = .fixed(1)
    depthDelta = .fixed(0)
    repeatCount = 1
    out = nil
    op = .fixed(role == .classifier ? .classifier : .conv)
    kernel = .fixed(1)
    expand = nil
    mid = nil
    seRatio = nil
    seChannels = nil
    seGate = .fixed(.hsigmoid)
    activation = .fixed(.none)
    pwActivation = .fixed(.none)
    skip = .fixed(false)
    seReference = .expanded
    seActivation = .relu
    seDivisor = nil
    seAlternate = false
    normalization = nil
    scale = .yes
    dropout = 0
    perLayer = false
  }

  /// The largest number of layers this statement can produce.
  public var maxRepeat: Int { max(1, repeatCount + (depthDelta.values.max() ?? 0)) }
}

/// The alternatives picked for one layer of a template.
public struct LayerPick: Hashable, Sendable {
  public var op: UnitOp
  public var kernel: Int
  public var expand: Double?
  public var mid: Int?
  public var seRatio: Double?
  public var seChannels: Int?
  public var seGate: Activation
  public var activation: Activation
  public var pwActivation: Activation
  public var skip: Bool
}

/// The alternatives picked for one template: block-level values and one `LayerPick` per layer
/// (a single one when the choices are shared by all layers).
public struct BlockPick: Hashable, Sendable {
  public var stride: Int
  public var widthFactor: Double
  public var depthDelta: Int
  public var layers: [LayerPick]
}
