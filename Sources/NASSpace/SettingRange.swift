/// The values the DSL accepts for a space's settings, shared with the command-line options
/// that override them (`nas arch info --width`, `--resolution`), so a value is valid in both
/// places or in neither.
public enum SettingRange {
  /// `width` and `resolution` multipliers: above 0 and at most this.
  public static let multiplierMaximum = 8.0
  /// `input N`: the input size in pixels.
  public static let inputSize = 1...4096
  /// `classes N`: the classifier has one output channel per class, and an architecture allows
  /// at most 65536 output channels in any unit.
  public static let classes = 1...65536

  /// Whether `x` is a width or resolution multiplier the DSL accepts.
  public static func isMultiplier(_ x: Double) -> Bool { x.isFinite && x > 0 && x <= multiplierMaximum }
}
