/// A pointwise nonlinearity, named as the DSL spells it.
///
/// `hsigmoid` is ReLU6(x+3)/6 and `hswish` is x·hsigmoid(x) (MobileNetV3); `swish` is
/// x·sigmoid(x); `gelu` is the exact erf form in training and counting. `none` is the identity.
public enum Activation: String, CaseIterable, Codable, Sendable, Hashable {
  case none
  case relu
  case relu6
  case hswish
  case hsigmoid
  case sigmoid
  case swish
  case gelu

  /// Activations a user may put on a conv, block or head layer.
  public static let layerActivations: [Activation] = [.none, .relu, .relu6, .hswish, .swish, .gelu]
  /// Gates a squeeze-excite may use.
  public static let gates: [Activation] = [.sigmoid, .hsigmoid]
}
