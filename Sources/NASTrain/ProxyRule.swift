import NASArch

/// How the network that is actually trained (the proxy) is derived from a deployment
/// architecture, so a 224×224 ImageNet design can be trained on 28×28 Fashion-MNIST:
///
/// 1. input resolution and channels become the data set's (28×28×1 for Fashion-MNIST,
///    32×32×3 for CIFAR-10), and the classifier gets the data set's classes;
/// 2. going from the first unit onward, stride-2 (or larger) units get stride 1 until the
///    product of all strides is at most ``maxDownsampling`` (the commands use 32, which keeps a
///    MobileNet's strides so 28×28 ends at 1×1 like 224 at 7×7; 8 ends at 4×4 but trains about
///    ten times slower). Later strides are kept, so the deep stages' relative resolutions are
///    unchanged;
/// 3. everything else (widths, kernels, expansions, squeeze-excite, activations, residuals) is
///    kept, so the proxy's weights have the deployment network's shapes except the stem's input
///    channels and the classifier's outputs.
///
/// Latency is never measured on the proxy: the search predicts it for the deployment
/// architecture.
public struct ProxyRule: Codable, Hashable, Sendable {
  public var resolution: Int
  public var inputChannels: Int
  public var classes: Int
  public var maxDownsampling: Int

  public init(resolution: Int, inputChannels: Int, classes: Int, maxDownsampling: Int = 8) {
    self.resolution = resolution
    self.inputChannels = inputChannels
    self.classes = classes
    self.maxDownsampling = max(1, maxDownsampling)
  }

  /// The rule for a data set's images.
  public init(for data: Dataset, maxDownsampling: Int = 8) {
    self.init(resolution: data.height, inputChannels: data.channels, classes: data.classes, maxDownsampling: maxDownsampling)
  }

  static func hasStride(_ u: Unit) -> Bool { u.op != .pool && u.op != .classifier }

  public func proxy(of arch: Architecture) -> Architecture {
    var units = arch.units
    var total = units.filter(Self.hasStride).reduce(1) { $0 * max(1, $1.stride) }
    for i in units.indices where total > maxDownsampling && Self.hasStride(units[i]) && units[i].stride > 1 {
      let s = units[i].stride
      let rest = total / s
      // The largest smaller stride that brings the total within the cap, else 1 (and go on).
      var keep = 1
      for d in stride(from: s - 1, through: 1, by: -1) where s % d == 0 && rest * d <= maxDownsampling {
        keep = d
        break
      }
      units[i].stride = keep
      total = total / s * keep
    }
    if let last = units.indices.last, units[last].op == .classifier { units[last].outChannels = classes }
    return Architecture(
      name: arch.name.map { $0 + "-proxy" }, inputSize: resolution, inputChannels: inputChannels, classes: classes,
      units: units)
  }

  /// Product of the strides of `arch`.
  public static func downsampling(of arch: Architecture) -> Int {
    arch.units.filter(hasStride).reduce(1) { $0 * max(1, $1.stride) }
  }
}
