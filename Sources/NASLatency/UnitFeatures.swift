import NASArch
import NASSpace

/// The cost features of a unit configuration that latency is fitted on, summed over the
/// XNNPACK nodes the unit lowers to. GEMM-like work is counted with output channels padded to
/// the micro-kernel width (16 on x86 FMA3/AVX-512, the widest XNNPACK tile), depthwise work
/// with channels padded to 8, because that is the work the kernels actually do.
public struct UnitFeatures: Sendable, Hashable, Codable {
  public static let names = [
    "unit", "nodes", "pointwise MACs", "conv MACs", "dw3 MACs", "dw5+ MACs", "activation elements", "weights",
    "hswish elements", "sigmoid elements", "multiply elements", "add elements", "pool elements", "fc MACs",
  ]
  public static var count: Int { names.count }

  public var values: [Double]
  /// Multiply-accumulates as counted elsewhere (for display and neighbour search).
  public var macs: Double

  static func padded(_ c: Int, _ tile: Int) -> Double { Double((c + tile - 1) / tile * tile) }

  /// Features of a placed unit.
  public init(_ placed: PlacedUnit) {
    var v = [Double](repeating: 0, count: Self.count)
    v[0] = 1
    func nodes(_ n: Double) { v[1] += n }
    func activation(_ a: Activation, _ elements: Double) {
      switch a {
      case .none, .relu, .relu6, .hsigmoid: break
      case .hswish: v[8] += elements; nodes(1)
      case .sigmoid: v[9] += elements; nodes(1)
      case .swish: v[9] += elements; v[10] += elements; nodes(2)
      case .gelu: v[9] += elements; v[10] += 2 * elements; nodes(3)
      }
    }
    for segment in placed.segments {
      for l in segment.layers {
        let pixels = Double(l.output.height * l.output.width)
        let inElements = Double(l.input.elements), outElements = Double(l.output.elements)
        switch l.layer {
        case .conv(let c):
          nodes(1)
          v[6] += inElements + outElements
          v[7] += Double(c.weightCount)
          if c.isDepthwise {
            let work = pixels * Double(c.kernel * c.kernel) * Self.padded(c.outChannels, 8)
            if c.kernel <= 3 { v[4] += work } else { v[5] += work }
          } else if c.kernel == 1 && c.groups == 1 {
            v[2] += pixels * Double(c.inChannels) * Self.padded(c.outChannels, 16)
          } else {
            v[3] += pixels * Double(c.kernel * c.kernel * c.inChannels / c.groups) * Self.padded(c.outChannels, 16)
          }
          activation(c.activation, outElements)
        case .squeezeExcite(let se):
          nodes(4)
          v[12] += inElements
          v[10] += inElements
          v[13] += 2 * Double(se.channels * se.squeezeChannels)
          v[7] += 2 * Double(se.channels * se.squeezeChannels)
          activation(se.activation, Double(se.squeezeChannels))
          activation(se.gate, Double(se.channels))
        case .globalAveragePool:
          nodes(1)
          v[12] += inElements
        case .linear(let lin):
          nodes(1)
          v[13] += Double(lin.inFeatures * lin.outFeatures)
          v[7] += Double(lin.inFeatures * lin.outFeatures)
        }
      }
      if segment.residual, let last = segment.layers.last {
        nodes(1)
        v[11] += Double(last.output.elements)
      }
    }
    values = v
    macs = Double(placed.macs)
  }

  /// Features of a (normalised) configuration; throws when the unit cannot take the input.
  public init(_ c: UnitConfiguration) throws(LatencyError) {
    do { self.init(try c.unit.place(input: c.input, index: 0)) } catch { throw LatencyError(error) }
  }
}

/// Units that share everything but their channel counts: the neighbourhood in which a
/// fitted model's error is corrected from measured configurations.
public struct UnitStructure: Hashable, Codable, Sendable {
  public var op: UnitOp
  public var kernel: Int
  public var stride: Int
  public var activation: Activation
  public var pwActivation: Activation
  public var seGate: Activation?
  public var seActivation: Activation?
  public var residual: Bool
  public var expands: Bool
  public var height: Int
  public var width: Int

  public init(_ c: UnitConfiguration) {
    let u = c.unit
    op = u.op
    kernel = u.kernel
    stride = u.stride
    activation = u.activation
    pwActivation = u.pwActivation
    seGate = u.squeezeExcite?.gate
    seActivation = u.squeezeExcite?.activation
    residual = u.residual
    expands = u.op == .mbconv && (u.midChannels ?? c.input.channels) != c.input.channels
    height = c.input.height
    width = c.input.width
  }
}
