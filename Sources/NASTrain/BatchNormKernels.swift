/// Per-channel reductions and the batch-norm maps over an NHWC matrix (rows × channels).
///
/// Sums run per thread over a fixed row range and are combined in thread order, in double
/// precision, so results do not depend on scheduling.
enum ChannelReductions {
  /// Per-channel sums of `term` over all rows: out[c] = Σ_rows term(row, c).
  @inline(__always)
  static func sum<T: TrainScalar, Term: RowTerm>(
    rows: Int, channels: Int, threads: Int, into out: UnsafeMutablePointer<Double>, _ term: Term
  ) where Term.T == T {
    let parts = Parallel.count(rows, threads: threads)
    let partial = UnsafeMutablePointer<Double>.allocate(capacity: parts * channels)
    defer { partial.deallocate() }
    partial.initialize(repeating: 0, count: parts * channels)
    let block = UnsafeMutablePointer<T>.allocate(capacity: parts * (channels + 8))
    defer { block.deallocate() }
    Parallel.chunks(rows, threads: threads) { t, r in
      let acc = block + t * (channels + 8)
      let dst = partial + t * channels
      var start = r.lowerBound
      while start < r.upperBound {
        // Short runs in the element type, flushed to doubles, keep long sums accurate.
        let end = min(r.upperBound, start + 64)
        acc.update(repeating: 0, count: channels + 8)
        for row in start..<end {
          blocks(channels) { c, m in
            store8(load8(acc + c) + term.value(row: row, channel: c, lanes: m), acc + c)
          }
        }
        for c in 0..<channels { dst[c] += Double(acc[c]) }
        start = end
      }
    }
    for c in 0..<channels {
      var s = 0.0
      for t in 0..<parts { s += partial[t * channels + c] }
      out[c] = s
    }
  }
}

/// One summand of a per-channel reduction, as a type so reductions specialise and inline
/// (a closure here would be called indirectly for every eight values).
protocol RowTerm {
  associatedtype T: TrainScalar
  func value(row: Int, channel: Int, lanes: Int) -> SIMD8<T>
}

/// x[row, c].
struct ValueTerm<T: TrainScalar>: RowTerm {
  let x: UnsafePointer<T>, channels: Int
  @inline(__always) func value(row: Int, channel c: Int, lanes n: Int) -> SIMD8<T> { load8(x + row * channels + c, n) }
}

/// (x[row, c] − m[c])².
struct SquaredDeviationTerm<T: TrainScalar>: RowTerm {
  let x: UnsafePointer<T>, mean: UnsafePointer<T>, channels: Int
  @inline(__always) func value(row: Int, channel c: Int, lanes n: Int) -> SIMD8<T> {
    let d = load8(x + row * channels + c, n) - load8(mean + c, n)
    return d * d
  }
}

/// a[row, c]·b[row, c].
struct ProductTerm<T: TrainScalar>: RowTerm {
  let a: UnsafePointer<T>, b: UnsafePointer<T>, channels: Int
  @inline(__always) func value(row: Int, channel c: Int, lanes n: Int) -> SIMD8<T> {
    load8(a + row * channels + c, n) * load8(b + row * channels + c, n)
  }
}

enum BatchNormKernels {
  /// Batch mean and biased variance per channel (two passes).
  static func statistics<T: TrainScalar>(
    x: UnsafePointer<T>, rows: Int, channels: Int, threads: Int, mean: UnsafeMutablePointer<Double>,
    variance: UnsafeMutablePointer<Double>
  ) {
    ChannelReductions.sum(rows: rows, channels: channels, threads: threads, into: mean, ValueTerm(x: x, channels: channels))
    for c in 0..<channels { mean[c] /= Double(max(1, rows)) }
    let m = UnsafeMutablePointer<T>.allocate(capacity: channels + 8)
    defer { m.deallocate() }
    m.initialize(repeating: 0, count: channels + 8)
    for c in 0..<channels { m[c] = T(mean[c]) }
    ChannelReductions.sum(
      rows: rows, channels: channels, threads: threads, into: variance,
      SquaredDeviationTerm(x: x, mean: UnsafePointer(m), channels: channels))
    for c in 0..<channels { variance[c] /= Double(max(1, rows)) }
  }

  /// In place: x = (x - mean[c]) · invstd[c].
  static func normalize<T: TrainScalar>(
    x: UnsafeMutablePointer<T>, rows: Int, channels: Int, mean: UnsafePointer<T>, invstd: UnsafePointer<T>, threads: Int
  ) {
    Parallel.chunks(rows, threads: threads) { _, r in
      for row in r {
        let p = x + row * channels
        blocks(channels) { c, n in
          store8((load8(p + c, n) - load8(mean + c, n)) * load8(invstd + c, n), p + c, n)
        }
      }
    }
  }

  /// Backward of y = γ·x̂ + β given dy (already through the activation), in place over `dy`:
  /// dx = γ·invstd·(dy − mean(dy) − x̂·mean(dy·x̂)); returns dγ and dβ through the pointers.
  static func backward<T: TrainScalar>(
    xhat: UnsafePointer<T>, dy: UnsafeMutablePointer<T>, rows: Int, channels: Int, gamma: UnsafePointer<T>,
    invstd: UnsafePointer<T>, dGamma: UnsafeMutablePointer<T>, dBeta: UnsafeMutablePointer<T>, threads: Int
  ) {
    let sumDy = UnsafeMutablePointer<Double>.allocate(capacity: channels)
    let sumDyX = UnsafeMutablePointer<Double>.allocate(capacity: channels)
    defer {
      sumDy.deallocate()
      sumDyX.deallocate()
    }
    ChannelReductions.sum(
      rows: rows, channels: channels, threads: threads, into: sumDy, ValueTerm(x: UnsafePointer(dy), channels: channels))
    ChannelReductions.sum(
      rows: rows, channels: channels, threads: threads, into: sumDyX,
      ProductTerm(a: UnsafePointer(dy), b: xhat, channels: channels))
    let coef = UnsafeMutablePointer<T>.allocate(capacity: 3 * (channels + 8))
    defer { coef.deallocate() }
    coef.initialize(repeating: 0, count: 3 * (channels + 8))
    let k = coef, a = coef + (channels + 8), b = coef + 2 * (channels + 8)
    let M = Double(max(1, rows))
    for c in 0..<channels {
      dGamma[c] += T(sumDyX[c])
      dBeta[c] += T(sumDy[c])
      k[c] = gamma[c] * invstd[c]
      a[c] = T(sumDy[c] / M)
      b[c] = T(sumDyX[c] / M)
    }
    Parallel.chunks(rows, threads: threads) { _, r in
      for row in r {
        let p = dy + row * channels, q = xhat + row * channels
        blocks(channels) { c, n in
          let v = load8(k + c, n) * (load8(p + c, n) - load8(a + c, n) - load8(q + c, n) * load8(b + c, n))
          store8(v, p + c, n)
        }
      }
    }
  }
}
