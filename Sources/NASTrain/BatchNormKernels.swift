import CNASKernels

/// Per-channel reductions and the batch-norm maps over an NHWC matrix (rows × channels).
///
/// Sums run per thread over a fixed row range and are combined in thread order, in double
/// precision, so results do not depend on scheduling.
enum ChannelReductions {
  /// One summand of a per-channel sum.
  enum Term<T: TrainScalar> {
    /// x[row, c].
    case value(UnsafePointer<T>)
    /// (x[row, c] − mean[c])².
    case squaredDeviation(UnsafePointer<T>, mean: UnsafePointer<T>)
    /// a[row, c]·b[row, c].
    case product(UnsafePointer<T>, UnsafePointer<T>)
  }

  /// Per-channel sums of `term` over all rows: out[c] = Σ_rows term(row, c).
  static func sum<T: TrainScalar>(
    rows: Int, channels: Int, threads: Int, into out: UnsafeMutablePointer<Double>, _ term: Term<T>
  ) {
    let (code, x, b): (nas_sum_term, UnsafePointer<T>, UnsafePointer<T>?)
    switch term {
    case .value(let p): (code, x, b) = (NAS_SUM_VALUE, p, nil)
    case .squaredDeviation(let p, let mean): (code, x, b) = (NAS_SUM_SQUARED_DEVIATION, p, mean)
    case .product(let p, let q): (code, x, b) = (NAS_SUM_PRODUCT, p, q)
    }
    perThreadSums(rows: rows, width: channels, threads: threads, into: out) { (_: T.Type, r, partial, scratch) in
      // A product's second factor is a matrix like x; a deviation's mean is one row.
      let rowB = code == NAS_SUM_PRODUCT ? b.map { $0 + r.lowerBound * channels } : b
      T.channelSums(code, x + r.lowerBound * channels, rowB, rows: r.count, channels: channels, partial, scratch: scratch)
    }
  }

  /// Runs `body` once per thread over that thread's fixed row range with its own zeroed
  /// `width` double partials and `width` scratch values, then adds the partials in thread order
  /// into `out`, so the sums do not depend on scheduling.
  static func perThreadSums<T: TrainScalar>(
    rows: Int, width: Int, threads: Int, into out: UnsafeMutablePointer<Double>,
    _ body: (T.Type, Range<Int>, UnsafeMutablePointer<Double>, UnsafeMutablePointer<T>) -> Void
  ) {
    let parts = Parallel.count(rows, threads: threads)
    let partial = UnsafeMutablePointer<Double>.allocate(capacity: parts * width)
    defer { partial.deallocate() }
    partial.initialize(repeating: 0, count: parts * width)
    let scratch = UnsafeMutablePointer<T>.allocate(capacity: parts * width)
    defer { scratch.deallocate() }
    Parallel.chunks(rows, threads: threads) { t, r in body(T.self, r, partial + t * width, scratch + t * width) }
    for i in 0..<width {
      var s = 0.0
      for t in 0..<parts { s += partial[t * width + i] }
      out[i] = s
    }
  }
}

enum BatchNormKernels {
  /// Batch mean and biased variance per channel (two passes).
  static func statistics<T: TrainScalar>(
    x: UnsafePointer<T>, rows: Int, channels: Int, threads: Int, mean: UnsafeMutablePointer<Double>,
    variance: UnsafeMutablePointer<Double>
  ) {
    ChannelReductions.sum(rows: rows, channels: channels, threads: threads, into: mean, .value(x))
    for c in 0..<channels { mean[c] /= Double(max(1, rows)) }
    let m = UnsafeMutablePointer<T>.allocate(capacity: channels)
    defer { m.deallocate() }
    m.initialize(repeating: 0, count: channels)
    for c in 0..<channels { m[c] = T(mean[c]) }
    ChannelReductions.sum(
      rows: rows, channels: channels, threads: threads, into: variance, .squaredDeviation(x, mean: UnsafePointer(m)))
    for c in 0..<channels { variance[c] /= Double(max(1, rows)) }
  }

  /// In place: x = (x - mean[c]) · invstd[c].
  static func normalize<T: TrainScalar>(
    x: UnsafeMutablePointer<T>, rows: Int, channels: Int, mean: UnsafePointer<T>, invstd: UnsafePointer<T>, threads: Int
  ) {
    Parallel.chunks(rows, threads: threads) { _, r in
      T.batchNormNormalize(x + r.lowerBound * channels, rows: r.count, channels: channels, mean, invstd)
    }
  }

  /// Backward of y = γ·x̂ + β given dy (already through the activation), in place over `dy`:
  /// dx = γ·invstd·(dy − mean(dy) − x̂·mean(dy·x̂)); returns dγ and dβ through the pointers.
  static func backward<T: TrainScalar>(
    xhat: UnsafePointer<T>, dy: UnsafeMutablePointer<T>, rows: Int, channels: Int, gamma: UnsafePointer<T>,
    invstd: UnsafePointer<T>, dGamma: UnsafeMutablePointer<T>, dBeta: UnsafeMutablePointer<T>, threads: Int
  ) {
    let sums = UnsafeMutablePointer<Double>.allocate(capacity: 2 * channels)
    defer { sums.deallocate() }
    let sumDy = sums, sumDyX = sums + channels
    ChannelReductions.sum(rows: rows, channels: channels, threads: threads, into: sumDy, .value(UnsafePointer(dy)))
    ChannelReductions.sum(
      rows: rows, channels: channels, threads: threads, into: sumDyX, .product(UnsafePointer(dy), xhat))
    apply(
      xhat: xhat, dy: dy, rows: rows, channels: channels, gamma: gamma, invstd: invstd, sumDy: sumDy, sumDyX: sumDyX,
      dGamma: dGamma, dBeta: dBeta, threads: threads)
  }

  /// The same through a piecewise-linear activation f after the affine map, in two passes over
  /// memory instead of four: d = g·f'(γ·x̂ + β) with both channel sums, then the map above.
  /// `d` receives the gradient of x.
  static func backward<T: TrainScalar>(
    through f: nas_activation, xhat: UnsafePointer<T>, gradOutput g: UnsafePointer<T>, into d: UnsafeMutablePointer<T>,
    rows: Int, channels: Int, gamma: UnsafePointer<T>, beta: UnsafePointer<T>, invstd: UnsafePointer<T>,
    dGamma: UnsafeMutablePointer<T>, dBeta: UnsafeMutablePointer<T>, threads: Int
  ) {
    let sums = UnsafeMutablePointer<Double>.allocate(capacity: 2 * channels)
    defer { sums.deallocate() }
    ChannelReductions.perThreadSums(rows: rows, width: 2 * channels, threads: threads, into: sums) {
      (_: T.Type, r, partial, scratch) in
      let o = r.lowerBound * channels
      T.activationBackwardSums(
        f, xhat + o, g + o, d + o, rows: r.count, channels: channels, gamma, beta, sumD: partial,
        sumDX: partial + channels, scratch: scratch)
    }
    apply(
      xhat: xhat, dy: d, rows: rows, channels: channels, gamma: gamma, invstd: invstd, sumDy: sums, sumDyX: sums + channels,
      dGamma: dGamma, dBeta: dBeta, threads: threads)
  }

  private static func apply<T: TrainScalar>(
    xhat: UnsafePointer<T>, dy: UnsafeMutablePointer<T>, rows: Int, channels: Int, gamma: UnsafePointer<T>,
    invstd: UnsafePointer<T>, sumDy: UnsafePointer<Double>, sumDyX: UnsafePointer<Double>,
    dGamma: UnsafeMutablePointer<T>, dBeta: UnsafeMutablePointer<T>, threads: Int
  ) {
    let coef = UnsafeMutablePointer<T>.allocate(capacity: 3 * channels)
    defer { coef.deallocate() }
    coef.initialize(repeating: 0, count: 3 * channels)
    let k = coef, a = coef + channels, b = coef + 2 * channels
    let M = Double(max(1, rows))
    for c in 0..<channels {
      dGamma[c] += T(sumDyX[c])
      dBeta[c] += T(sumDy[c])
      k[c] = gamma[c] * invstd[c]
      a[c] = T(sumDy[c] / M)
      b[c] = T(sumDyX[c] / M)
    }
    Parallel.chunks(rows, threads: threads) { _, r in
      let o = r.lowerBound * channels
      T.batchNormBackward(xhat + o, dy + o, rows: r.count, channels: channels, UnsafePointer(k), UnsafePointer(a), UnsafePointer(b))
    }
  }
}
