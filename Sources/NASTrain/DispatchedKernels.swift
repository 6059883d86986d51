import CNASKernels
import NASArch

/// The C kernels of one element type (`_f32` or `_f64`), which run on the instruction set
/// `EngineKernels` selected. Callers split rows or samples over threads themselves.
public protocol DispatchedKernels {
  static func depthwiseForward(
    _ g: UnsafePointer<nas_depthwise_geometry>, _ x: UnsafePointer<Self>, _ w: UnsafePointer<Self>,
    _ y: UnsafeMutablePointer<Self>, _ samples: Range<Int>)
  static func depthwiseBackward(
    _ g: UnsafePointer<nas_depthwise_geometry>, _ x: UnsafePointer<Self>, _ w: UnsafePointer<Self>,
    _ dy: UnsafePointer<Self>, _ dx: UnsafeMutablePointer<Self>?, _ dw: UnsafeMutablePointer<Self>, _ samples: Range<Int>)
  static func activationForward(
    _ f: nas_activation, _ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>, rows: Int, channels: Int,
    _ scale: UnsafePointer<Self>?, _ shift: UnsafePointer<Self>?)
  static func activationBackward(
    _ f: nas_activation, _ x: UnsafePointer<Self>, _ g: UnsafePointer<Self>, _ d: UnsafeMutablePointer<Self>, rows: Int,
    channels: Int, _ scale: UnsafePointer<Self>?, _ shift: UnsafePointer<Self>?)
  static func batchNormNormalize(
    _ x: UnsafeMutablePointer<Self>, rows: Int, channels: Int, _ mean: UnsafePointer<Self>, _ invstd: UnsafePointer<Self>)
  static func batchNormBackward(
    _ xhat: UnsafePointer<Self>, _ dy: UnsafeMutablePointer<Self>, rows: Int, channels: Int, _ k: UnsafePointer<Self>,
    _ a: UnsafePointer<Self>, _ b: UnsafePointer<Self>)
  static func channelSums(
    _ term: nas_sum_term, _ x: UnsafePointer<Self>, _ b: UnsafePointer<Self>?, rows: Int, channels: Int,
    _ out: UnsafeMutablePointer<Double>, scratch: UnsafeMutablePointer<Self>)
  static func activationBackwardSums(
    _ f: nas_activation, _ xhat: UnsafePointer<Self>, _ g: UnsafePointer<Self>, _ d: UnsafeMutablePointer<Self>, rows: Int,
    channels: Int, _ gamma: UnsafePointer<Self>, _ beta: UnsafePointer<Self>, sumD: UnsafeMutablePointer<Double>,
    sumDX: UnsafeMutablePointer<Double>, scratch: UnsafeMutablePointer<Self>)
}

extension Float: DispatchedKernels {
  @inline(__always) public static func depthwiseForward(
    _ g: UnsafePointer<nas_depthwise_geometry>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
    _ y: UnsafeMutablePointer<Float>, _ samples: Range<Int>
  ) { nas_depthwise_forward_f32(g, x, w, y, samples.lowerBound, samples.upperBound) }
  @inline(__always) public static func depthwiseBackward(
    _ g: UnsafePointer<nas_depthwise_geometry>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
    _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>?, _ dw: UnsafeMutablePointer<Float>, _ samples: Range<Int>
  ) { nas_depthwise_backward_f32(g, x, w, dy, dx, dw, samples.lowerBound, samples.upperBound) }
  @inline(__always) public static func activationForward(
    _ f: nas_activation, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int, channels: Int,
    _ scale: UnsafePointer<Float>?, _ shift: UnsafePointer<Float>?
  ) { nas_activation_forward_f32(f, x, y, rows, channels, scale, shift) }
  @inline(__always) public static func activationBackward(
    _ f: nas_activation, _ x: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>,
    rows: Int, channels: Int, _ scale: UnsafePointer<Float>?, _ shift: UnsafePointer<Float>?
  ) { nas_activation_backward_f32(f, x, g, d, rows, channels, scale, shift) }
  @inline(__always) public static func batchNormNormalize(
    _ x: UnsafeMutablePointer<Float>, rows: Int, channels: Int, _ mean: UnsafePointer<Float>,
    _ invstd: UnsafePointer<Float>
  ) { nas_batchnorm_normalize_f32(x, rows, channels, mean, invstd) }
  @inline(__always) public static func batchNormBackward(
    _ xhat: UnsafePointer<Float>, _ dy: UnsafeMutablePointer<Float>, rows: Int, channels: Int,
    _ k: UnsafePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>
  ) { nas_batchnorm_backward_f32(xhat, dy, rows, channels, k, a, b) }
  @inline(__always) public static func channelSums(
    _ term: nas_sum_term, _ x: UnsafePointer<Float>, _ b: UnsafePointer<Float>?, rows: Int, channels: Int,
    _ out: UnsafeMutablePointer<Double>, scratch: UnsafeMutablePointer<Float>
  ) { nas_channel_sums_f32(term, x, b, rows, channels, out, scratch) }
  @inline(__always) public static func activationBackwardSums(
    _ f: nas_activation, _ xhat: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, rows: Int,
    channels: Int, _ gamma: UnsafePointer<Float>, _ beta: UnsafePointer<Float>, sumD: UnsafeMutablePointer<Double>,
    sumDX: UnsafeMutablePointer<Double>, scratch: UnsafeMutablePointer<Float>
  ) { nas_activation_backward_sums_f32(f, xhat, g, d, rows, channels, gamma, beta, sumD, sumDX, scratch) }
}

extension Double: DispatchedKernels {
  @inline(__always) public static func depthwiseForward(
    _ g: UnsafePointer<nas_depthwise_geometry>, _ x: UnsafePointer<Double>, _ w: UnsafePointer<Double>,
    _ y: UnsafeMutablePointer<Double>, _ samples: Range<Int>
  ) { nas_depthwise_forward_f64(g, x, w, y, samples.lowerBound, samples.upperBound) }
  @inline(__always) public static func depthwiseBackward(
    _ g: UnsafePointer<nas_depthwise_geometry>, _ x: UnsafePointer<Double>, _ w: UnsafePointer<Double>,
    _ dy: UnsafePointer<Double>, _ dx: UnsafeMutablePointer<Double>?, _ dw: UnsafeMutablePointer<Double>,
    _ samples: Range<Int>
  ) { nas_depthwise_backward_f64(g, x, w, dy, dx, dw, samples.lowerBound, samples.upperBound) }
  @inline(__always) public static func activationForward(
    _ f: nas_activation, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, rows: Int, channels: Int,
    _ scale: UnsafePointer<Double>?, _ shift: UnsafePointer<Double>?
  ) { nas_activation_forward_f64(f, x, y, rows, channels, scale, shift) }
  @inline(__always) public static func activationBackward(
    _ f: nas_activation, _ x: UnsafePointer<Double>, _ g: UnsafePointer<Double>, _ d: UnsafeMutablePointer<Double>,
    rows: Int, channels: Int, _ scale: UnsafePointer<Double>?, _ shift: UnsafePointer<Double>?
  ) { nas_activation_backward_f64(f, x, g, d, rows, channels, scale, shift) }
  @inline(__always) public static func batchNormNormalize(
    _ x: UnsafeMutablePointer<Double>, rows: Int, channels: Int, _ mean: UnsafePointer<Double>,
    _ invstd: UnsafePointer<Double>
  ) { nas_batchnorm_normalize_f64(x, rows, channels, mean, invstd) }
  @inline(__always) public static func batchNormBackward(
    _ xhat: UnsafePointer<Double>, _ dy: UnsafeMutablePointer<Double>, rows: Int, channels: Int,
    _ k: UnsafePointer<Double>, _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>
  ) { nas_batchnorm_backward_f64(xhat, dy, rows, channels, k, a, b) }
  @inline(__always) public static func channelSums(
    _ term: nas_sum_term, _ x: UnsafePointer<Double>, _ b: UnsafePointer<Double>?, rows: Int, channels: Int,
    _ out: UnsafeMutablePointer<Double>, scratch: UnsafeMutablePointer<Double>
  ) { nas_channel_sums_f64(term, x, b, rows, channels, out, scratch) }
  @inline(__always) public static func activationBackwardSums(
    _ f: nas_activation, _ xhat: UnsafePointer<Double>, _ g: UnsafePointer<Double>, _ d: UnsafeMutablePointer<Double>, rows: Int,
    channels: Int, _ gamma: UnsafePointer<Double>, _ beta: UnsafePointer<Double>, sumD: UnsafeMutablePointer<Double>,
    sumDX: UnsafeMutablePointer<Double>, scratch: UnsafeMutablePointer<Double>
  ) { nas_activation_backward_sums_f64(f, xhat, g, d, rows, channels, gamma, beta, sumD, sumDX, scratch) }
}

extension Activation {
  /// The C kernels' code for a piecewise-linear activation; nil for the smooth ones (swish,
  /// sigmoid, GELU), which the Swift kernels compute.
  var piecewiseLinearCode: nas_activation? {
    switch self {
    case .none: return NAS_ACT_IDENTITY
    case .relu: return NAS_ACT_RELU
    case .relu6: return NAS_ACT_RELU6
    case .hswish: return NAS_ACT_HSWISH
    case .hsigmoid: return NAS_ACT_HSIGMOID
    case .sigmoid, .swish, .gelu: return nil
    }
  }
}
