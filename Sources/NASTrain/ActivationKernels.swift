import NASArch

/// A pointwise function and its derivative on eight lanes at a time.
protocol PointwiseFunction {
  static func value<T: TrainScalar>(_ v: SIMD8<T>) -> SIMD8<T>
  /// f'(v), evaluated at the pre-activation v.
  static func slope<T: TrainScalar>(_ v: SIMD8<T>) -> SIMD8<T>
}

enum SigmoidFunction: PointwiseFunction {
  @inline(__always) static func sigmoid<T: TrainScalar>(_ v: SIMD8<T>) -> SIMD8<T> {
    var r = SIMD8<T>()
    for i in 0..<8 { r[i] = 1 / (1 + T.exponential(-v[i])) }
    return r
  }
  @inline(__always) static func value<T: TrainScalar>(_ v: SIMD8<T>) -> SIMD8<T> { sigmoid(v) }
  @inline(__always) static func slope<T: TrainScalar>(_ v: SIMD8<T>) -> SIMD8<T> {
    let s = sigmoid(v)
    return s * (1 - s)
  }
}

/// x·sigmoid(x) (SiLU).
enum SwishFunction: PointwiseFunction {
  @inline(__always) static func value<T: TrainScalar>(_ v: SIMD8<T>) -> SIMD8<T> { v * SigmoidFunction.sigmoid(v) }
  @inline(__always) static func slope<T: TrainScalar>(_ v: SIMD8<T>) -> SIMD8<T> {
    let s = SigmoidFunction.sigmoid(v)
    return s + v * s * (1 - s)
  }
}

/// The exact GELU, x·Φ(x).
enum GELUFunction: PointwiseFunction {
  @inline(__always) static func value<T: TrainScalar>(_ v: SIMD8<T>) -> SIMD8<T> {
    var r = SIMD8<T>()
    for i in 0..<8 { r[i] = v[i] * T(0.5) * (1 + T.errorFunction(v[i] * T(0.70710678118654752440))) }
    return r
  }
  @inline(__always) static func slope<T: TrainScalar>(_ v: SIMD8<T>) -> SIMD8<T> {
    var r = SIMD8<T>()
    for i in 0..<8 {
      let x = v[i]
      let cdf = T(0.5) * (1 + T.errorFunction(x * T(0.70710678118654752440)))
      let pdf = T.exponential(-x * x / 2) * T(0.39894228040143267794)
      r[i] = cdf + x * pdf
    }
    return r
  }
}

/// Activation over an NHWC matrix (rows × channels), optionally after a per-channel affine map
/// (batch norm's scale and shift), so normalisation and activation take one pass over memory.
/// The piecewise-linear activations run in the dispatched C kernels; the smooth ones (which
/// need exp or erf per element) in Swift.
enum ActivationKernels {
  /// y = f(x·scale + shift) (scale and shift per channel; nil means 1 and 0).
  static func forward<T: TrainScalar>(
    _ activation: Activation, x: UnsafePointer<T>, y: UnsafeMutablePointer<T>, rows: Int, channels: Int,
    scale: UnsafePointer<T>?, shift: UnsafePointer<T>?, threads: Int
  ) {
    if let code = activation.piecewiseLinearCode {
      Parallel.chunks(rows, threads: threads) { _, r in
        let o = r.lowerBound * channels
        T.activationForward(code, x + o, y + o, rows: r.count, channels: channels, scale, shift)
      }
      return
    }
    switch activation {
    case .none, .relu, .relu6, .hswish, .hsigmoid: break  // the C kernels above
    case .sigmoid: forward(SigmoidFunction.self, x, y, rows, channels, scale, shift, threads)
    case .swish: forward(SwishFunction.self, x, y, rows, channels, scale, shift, threads)
    case .gelu: forward(GELUFunction.self, x, y, rows, channels, scale, shift, threads)
    }
  }

  /// d = g · f'(x·scale + shift): the gradient before the activation.
  static func backward<T: TrainScalar>(
    _ activation: Activation, x: UnsafePointer<T>, gradOutput g: UnsafePointer<T>, gradInput d: UnsafeMutablePointer<T>,
    rows: Int, channels: Int, scale: UnsafePointer<T>?, shift: UnsafePointer<T>?, threads: Int
  ) {
    if let code = activation.piecewiseLinearCode {
      Parallel.chunks(rows, threads: threads) { _, r in
        let o = r.lowerBound * channels
        T.activationBackward(code, x + o, g + o, d + o, rows: r.count, channels: channels, scale, shift)
      }
      return
    }
    switch activation {
    case .none, .relu, .relu6, .hswish, .hsigmoid: break  // the C kernels above
    case .sigmoid: backward(SigmoidFunction.self, x, g, d, rows, channels, scale, shift, threads)
    case .swish: backward(SwishFunction.self, x, g, d, rows, channels, scale, shift, threads)
    case .gelu: backward(GELUFunction.self, x, g, d, rows, channels, scale, shift, threads)
    }
  }

  @inline(__always)
  static func forward<F: PointwiseFunction, T: TrainScalar>(
    _ f: F.Type, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ rows: Int, _ channels: Int,
    _ scale: UnsafePointer<T>?, _ shift: UnsafePointer<T>?, _ threads: Int
  ) {
    let total = rows * channels
    if scale == nil && shift == nil {
      // Without a per-channel map the matrix is one flat array.
      Parallel.chunks((total + 7) / 8, threads: threads) { _, r in
        let start = r.lowerBound * 8
        blocks(min(total, r.upperBound * 8) - start) { o, n in
          let i = start + o
          store8(F.value(load8(x + i, n)), y + i, n)
        }
      }
      return
    }
    Parallel.chunks(rows, threads: threads) { _, r in
      for row in r {
        let xr = x + row * channels, yr = y + row * channels
        blocks(channels) { c, n in
          var v = load8(xr + c, n)
          if let scale { v = v * load8(scale + c, n) }
          if let shift { v = v + load8(shift + c, n) }
          store8(F.value(v), yr + c, n)
        }
      }
    }
  }

  @inline(__always)
  static func backward<F: PointwiseFunction, T: TrainScalar>(
    _ f: F.Type, _ x: UnsafePointer<T>, _ g: UnsafePointer<T>, _ d: UnsafeMutablePointer<T>, _ rows: Int,
    _ channels: Int, _ scale: UnsafePointer<T>?, _ shift: UnsafePointer<T>?, _ threads: Int
  ) {
    let total = rows * channels
    if scale == nil && shift == nil {
      Parallel.chunks((total + 7) / 8, threads: threads) { _, r in
        let start = r.lowerBound * 8
        blocks(min(total, r.upperBound * 8) - start) { o, n in
          let i = start + o
          store8(load8(g + i, n) * F.slope(load8(x + i, n)), d + i, n)
        }
      }
      return
    }
    Parallel.chunks(rows, threads: threads) { _, r in
      for row in r {
        let o = row * channels
        blocks(channels) { c, n in
          var v = load8(x + o + c, n)
          if let scale { v = v * load8(scale + c, n) }
          if let shift { v = v + load8(shift + c, n) }
          store8(load8(g + o + c, n) * F.slope(v), d + o + c, n)
        }
      }
    }
  }
}
