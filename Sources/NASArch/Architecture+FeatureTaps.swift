/// A feature map a detector takes from a backbone: the output of the last unit before the
/// global pool whose total stride is `stride`, as timm's `features_only` and ultralytics' P3/P4/P5
/// take them.
public struct FeatureTap: Hashable, Codable, Sendable {
  /// Total stride (reduction) of the map: 8, 16, 32 …
  public var stride: Int
  /// Index of the unit whose output is tapped.
  public var unit: Int
  /// The map's shape at the architecture's input size.
  public var shape: Shape

  /// `p3` for stride 8, `p4` for 16, `p5` for 32 (log2 of the stride), as ultralytics names them.
  public var name: String {
    var level = 0
    var s = stride
    while s > 1 {
      s /= 2
      level += 1
    }
    return "p\(level)"
  }
}

/// Why a feature tap cannot be made.
public enum FeatureTapError: Error, CustomStringConvertible, Equatable, Sendable {
  case missingStride(Int, available: [Int])
  case notAPowerOfTwo(Int)

  public var description: String {
    switch self {
    case .missingStride(let s, let available):
      return "the network has no feature map at stride \(s); its strides before the pool are \(available.map(String.init).joined(separator: ", "))"
    case .notAPowerOfTwo(let s):
      return "stride \(s) is not a power of two (use strides such as 8, 16, 32)"
    }
  }
}

extension Architecture {
  /// The last unit at each total stride before the global pool, in order of stride.
  public func featureMaps() throws(ArchitectureError) -> [FeatureTap] {
    var taps: [Int: FeatureTap] = [:]
    var stride = 1
    for unit in try placedUnits() {
      if unit.unit.op == .pool || unit.unit.op == .classifier { break }
      for case .conv(let c) in unit.layers.map(\.layer) { stride *= c.stride }
      taps[stride] = FeatureTap(stride: stride, unit: unit.index, shape: unit.output)
    }
    return taps.values.sorted { $0.stride < $1.stride }
  }

  /// The taps for `strides`, in the order given; an error lists the strides the network has.
  public func featureTaps(strides: [Int]) throws -> [FeatureTap] {
    let maps = try featureMaps()
    return try strides.map { s in
      guard s >= 1, s & (s - 1) == 0 else { throw FeatureTapError.notAPowerOfTwo(s) }
      guard let tap = maps.first(where: { $0.stride == s }) else {
        throw FeatureTapError.missingStride(s, available: maps.map(\.stride))
      }
      return tap
    }
  }
}
