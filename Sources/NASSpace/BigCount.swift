/// A non-negative integer of any size, for counting the architectures in a space
/// (FBNet-style per-layer spaces exceed 10^21).
public struct BigCount: Hashable, Sendable, CustomStringConvertible, Comparable {
  /// Base-10^9 limbs, least significant first.
  private var limbs: [UInt64]
  private static let base: UInt64 = 1_000_000_000

  public init(_ value: Int) {
    precondition(value >= 0, "BigCount is non-negative")
    var v = UInt64(value)
    limbs = []
    repeat {
      limbs.append(v % Self.base)
      v /= Self.base
    } while v > 0
  }

  public static let zero = BigCount(0)

  public static func + (a: BigCount, b: BigCount) -> BigCount {
    var out: [UInt64] = []
    var carry: UInt64 = 0
    for i in 0..<max(a.limbs.count, b.limbs.count) {
      let s = (i < a.limbs.count ? a.limbs[i] : 0) + (i < b.limbs.count ? b.limbs[i] : 0) + carry
      out.append(s % base)
      carry = s / base
    }
    if carry > 0 { out.append(carry) }
    return BigCount(limbs: out)
  }

  public static func * (a: BigCount, b: BigCount) -> BigCount {
    var out = [UInt64](repeating: 0, count: a.limbs.count + b.limbs.count)
    for (i, x) in a.limbs.enumerated() {
      var carry: UInt64 = 0
      for (j, y) in b.limbs.enumerated() {
        let t = out[i + j] + x * y + carry
        out[i + j] = t % base
        carry = t / base
      }
      var k = i + b.limbs.count
      while carry > 0 {
        let t = out[k] + carry
        out[k] = t % base
        carry = t / base
        k += 1
      }
    }
    return BigCount(limbs: out)
  }

  private init(limbs: [UInt64]) {
    var l = limbs
    while l.count > 1 && l.last == 0 { l.removeLast() }
    self.limbs = l.isEmpty ? [0] : l
  }

  public var description: String {
    var text = String(limbs.last!)
    for limb in limbs.dropLast().reversed() {
      let s = String(limb)
      text += String(repeating: "0", count: 9 - s.count) + s
    }
    return text
  }

  /// The value as a Double (approximate beyond 2^53).
  public var doubleValue: Double { limbs.reversed().reduce(0.0) { $0 * Double(Self.base) + Double($1) } }

  /// `4.3e13`-style short form.
  public var scientific: String {
    let text = description
    guard text.count > 6 else { return text }
    let digits = Array(text)
    return "\(digits[0]).\(digits[1])e\(text.count - 1)"
  }

  public static func < (a: BigCount, b: BigCount) -> Bool {
    if a.limbs.count != b.limbs.count { return a.limbs.count < b.limbs.count }
    for (x, y) in zip(a.limbs.reversed(), b.limbs.reversed()) where x != y { return x < y }
    return false
  }
}
