import Foundation

/// The parameters and per-pass state of one batch norm (2-D over NHWC rows, or 1-D before a
/// classifier): γ, β, running statistics, and the batch statistics of the last training pass.
final class BatchNormState<T: TrainScalar> {
  let channels: Int
  let gamma: Parameter<T>, beta: Parameter<T>, runningMean: Parameter<T>, runningVariance: Parameter<T>
  /// Batch mean and 1/sqrt(var+eps) of the last training pass, padded for vector loads.
  let mean: Buffer<T>, invstd: Buffer<T>
  /// Per-channel scale and shift of the last inference pass.
  let scale: Buffer<T>, shift: Buffer<T>
  /// Mean batch variance of the last training pass (Zen-score's BN scaling).
  var lastBatchVarianceMean: Double = 1

  init(prefix: String, channels: Int, unit: Int) {
    self.channels = channels
    gamma = Parameter(name: prefix + ".weight", shape: [channels], kind: .normScale, unit: unit)
    beta = Parameter(name: prefix + ".bias", shape: [channels], kind: .normShift, unit: unit)
    runningMean = Parameter(name: prefix + ".running_mean", shape: [channels], kind: .runningMean, unit: unit)
    runningVariance = Parameter(name: prefix + ".running_var", shape: [channels], kind: .runningVariance, unit: unit)
    gamma.value.pointer.update(repeating: 1, count: channels)
    runningVariance.value.pointer.update(repeating: 1, count: channels)
    mean = Buffer(count: channels)
    invstd = Buffer(count: channels)
    scale = Buffer(count: channels)
    shift = Buffer(count: channels)
  }

  var parameters: [Parameter<T>] { [gamma, beta, runningMean, runningVariance] }

  /// Computes batch statistics of `x`, updates running statistics if asked, and normalises
  /// `x` in place to x̂.
  func normalizeTraining(_ x: UnsafeMutablePointer<T>, rows: Int, _ ctx: RunContext<T>, epsilon: Double, momentum: Double) {
    let m = UnsafeMutablePointer<Double>.allocate(capacity: channels)
    let v = UnsafeMutablePointer<Double>.allocate(capacity: channels)
    defer {
      m.deallocate()
      v.deallocate()
    }
    BatchNormKernels.statistics(x: x, rows: rows, channels: channels, threads: ctx.threads, mean: m, variance: v)
    var varianceSum = 0.0
    for c in 0..<channels {
      mean.pointer[c] = T(m[c])
      invstd.pointer[c] = T(1 / (v[c] + epsilon).squareRoot())
      varianceSum += v[c]
    }
    lastBatchVarianceMean = varianceSum / Double(max(1, channels))
    if ctx.updateRunningStatistics {
      let unbiased = rows > 1 ? Double(rows) / Double(rows - 1) : 1
      let rm = runningMean.value.pointer, rv = runningVariance.value.pointer
      for c in 0..<channels {
        rm[c] = T((1 - momentum) * Double(rm[c]) + momentum * m[c])
        rv[c] = T((1 - momentum) * Double(rv[c]) + momentum * v[c] * unbiased)
      }
    }
    BatchNormKernels.normalize(
      x: x, rows: rows, channels: channels, mean: mean.pointer, invstd: invstd.pointer, threads: ctx.threads)
  }

  /// Fills ``scale`` and ``shift`` from the running statistics.
  func prepareInference(epsilon: Double) {
    let g = gamma.value.pointer, b = beta.value.pointer
    let rm = runningMean.value.pointer, rv = runningVariance.value.pointer
    for c in 0..<channels {
      let s = Double(g[c]) / (Double(rv[c]) + epsilon).squareRoot()
      scale.pointer[c] = T(s)
      shift.pointer[c] = T(Double(b[c]) - Double(rm[c]) * s)
    }
  }
}
