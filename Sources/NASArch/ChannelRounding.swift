/// Channel rounding as the MobileNet family does it.
public enum ChannelRounding {
  /// Rounds `value` to the nearest multiple of `divisor`, never below `minimum` (default: the
  /// divisor) and never more than 10% below `value` (the `_make_divisible` rule of TF slim and
  /// torchvision). With `divisor` 1 the value is rounded to the nearest integer.
  public static func makeDivisible(_ value: Double, divisor: Int, minimum: Int? = nil) -> Int {
    let d = Double(divisor)
    let floorValue = minimum ?? divisor
    var rounded = max(floorValue, Int((value + d / 2) / d) * divisor)
    if Double(rounded) < 0.9 * value { rounded += divisor }
    return rounded
  }
}
