import NASArch

/// A pointwise function and its derivative on eight lanes at a time.
protocol PointwiseFunction {
  static func value<T: TrainScalar>(_ v: SIMD8<T>) -> SIMD8<T>
  /// f'(v), evaluated at the pre-activation v.
  static func slope<T: TrainScalar>(_ v: SIMD8<T>) -> SIMD8<T>
}

enum IdentityFunction: PointwiseFunction {
  @inline(__always) static func value<T: TrainScalar>(_ v: SIMD8<T>) -> SIMD8<T> { v }
  @inline(__always) static func slope<T: TrainScalar>(_ v: SIMD8<T>) -> SIMD8<T> { SIMD8(repeating: 1) }
}

enum ReLUFunction: PointwiseFunction {
  @inline(__always) static func value<T: TrainScalar>(_ v: SIMD8<T>) -> SIMD8<T> { T.clamp8(v, 0, .infinity) }
  @inline(__always) static func slope<T: TrainScalar>(_ v: SIMD8<T>) -> SIMD8<T> {
    T.select8(v, above: 0, below: .infinity, SIMD8(repeating: 1), SIMD8(repeating: 0))
  }
}

enum ReLU6Function: PointwiseFunction {
  @inline(__always) static func value<T: TrainScalar>(_ v: SIMD8<T>) -> SIMD8<T> { T.clamp8(v, 0, 6) }
  @inline(__always) static func slope<T: TrainScalar>(_ v: SIMD8<T>) -> SIMD8<T> {
    T.select8(v, above: 0, below: 6, SIMD8(repeating: 1), SIMD8(repeating: 0))
  }
}

/// ReLU6(x+3)/6.
enum HardSigmoidFunction: PointwiseFunction {
  @inline(__always) static func value<T: TrainScalar>(_ v: SIMD8<T>) -> SIMD8<T> {
    T.clamp8(v * T(1.0 / 6.0) + T(0.5), 0, 1)
  }
  @inline(__always) static func slope<T: TrainScalar>(_ v: SIMD8<T>) -> SIMD8<T> {
    T.select8(v, above: -3, below: 3, SIMD8(repeating: T(1.0 / 6.0)), SIMD8(repeating: 0))
  }
}

/// x·ReLU6(x+3)/6.
enum HardSwishFunction: PointwiseFunction {
  @inline(__always) static func value<T: TrainScalar>(_ v: SIMD8<T>) -> SIMD8<T> {
    v * HardSigmoidFunction.value(v)
  }
  @inline(__always) static func slope<T: TrainScalar>(_ v: SIMD8<T>) -> SIMD8<T> {
    // (2x+3)/6 inside (-3, 3); outside, 1 above and 0 below.
    let outside = T.select8(v, above: 0, below: .infinity, SIMD8(repeating: 1), SIMD8(repeating: 0))
    return T.select8(v, above: -3, below: 3, v * T(1.0 / 3.0) + T(0.5), outside)
  }
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
enum ActivationKernels {
  /// y = f(x·scale + shift) (scale and shift per channel; nil means 1 and 0).
  static func forward<T: TrainScalar>(
    _ activation: Activation, x: UnsafePointer<T>, y: UnsafeMutablePointer<T>, rows: Int, channels: Int,
    scale: UnsafePointer<T>?, shift: UnsafePointer<T>?, threads: Int
  ) {
    switch activation {
    case .none: forward(IdentityFunction.self, x, y, rows, channels, scale, shift, threads)
    case .relu: forward(ReLUFunction.self, x, y, rows, channels, scale, shift, threads)
    case .relu6: forward(ReLU6Function.self, x, y, rows, channels, scale, shift, threads)
    case .hswish: forward(HardSwishFunction.self, x, y, rows, channels, scale, shift, threads)
    case .hsigmoid: forward(HardSigmoidFunction.self, x, y, rows, channels, scale, shift, threads)
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
    switch activation {
    case .none: backward(IdentityFunction.self, x, g, d, rows, channels, scale, shift, threads)
    case .relu: backward(ReLUFunction.self, x, g, d, rows, channels, scale, shift, threads)
    case .relu6: backward(ReLU6Function.self, x, g, d, rows, channels, scale, shift, threads)
    case .hswish: backward(HardSwishFunction.self, x, g, d, rows, channels, scale, shift, threads)
    case .hsigmoid: backward(HardSigmoidFunction.self, x, g, d, rows, channels, scale, shift, threads)
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
