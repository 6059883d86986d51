import NASArch
import NASSupport

/// The classifier: optional batch norm over the pooled features, dropout, then a fully
/// connected layer with bias (and an activation, `none` in every shipped network).
final class LinearModule<T: TrainScalar> {
  let layer: LinearLayer
  let weight: Parameter<T>, bias: Parameter<T>
  let norm: BatchNormState<T>?
  let parameters: [Parameter<T>]
  let unit: Int
  private var input: Tensor<T>?
  private var normalized: Buffer<T>?, affine: Buffer<T>?, masked: Buffer<T>?, mask: Buffer<T>?
  private var pre: Buffer<T>?, out: Buffer<T>?
  private var scratch: Buffer<T>?, dFeatures: Buffer<T>?, dx: Buffer<T>?
  private var lastNormalization: NormalizationMode = .batchStatistics
  private var droppedOut = false

  init(_ layer: LinearLayer, unit: Int, prefix: String) {
    self.layer = layer
    self.unit = unit
    weight = Parameter(
      name: prefix + ".fc.weight", shape: [layer.outFeatures, layer.inFeatures], kind: .weight, unit: unit,
      fanIn: layer.inFeatures, fanOut: layer.outFeatures)
    bias = Parameter(name: prefix + ".fc.bias", shape: [layer.outFeatures], kind: .bias, unit: unit)
    if let n = layer.normalizationBefore, n != .none {
      norm = BatchNormState(prefix: prefix + ".bn", channels: layer.inFeatures, unit: unit)
    } else {
      norm = nil
    }
    parameters = [weight, bias] + (norm?.parameters ?? [])
  }

  func forward(_ x: Tensor<T>, _ ctx: RunContext<T>) -> Tensor<T> {
    let n = x.batch, I = layer.inFeatures, O = layer.outFeatures
    input = x
    lastNormalization = ctx.normalization
    var features = UnsafePointer(x.pointer)
    if let norm, ctx.normalization != .bypass {
      affine = Buffer.ensure(affine, n * I)
      if ctx.normalization == .batchStatistics {
        // x̂ stays in `normalized` for the backward pass.
        normalized = Buffer.ensure(normalized, n * I)
        normalized!.pointer.update(from: x.pointer, count: n * I)
        norm.normalizeTraining(normalized!.pointer, rows: n, ctx, epsilon: BatchNormConstants.epsilon, momentum: BatchNormConstants.momentum)
        ActivationKernels.forward(
          .none, x: normalized!.pointer, y: affine!.pointer, rows: n, channels: I, scale: norm.gamma.value.pointer,
          shift: norm.beta.value.pointer, threads: 1)
      } else {
        norm.prepareInference(epsilon: BatchNormConstants.epsilon)
        ActivationKernels.forward(
          .none, x: x.pointer, y: affine!.pointer, rows: n, channels: I, scale: norm.scale.pointer,
          shift: norm.shift.pointer, threads: 1)
      }
      features = UnsafePointer(affine!.pointer)
    }
    droppedOut = ctx.dropout && layer.dropoutBefore > 0
    if droppedOut {
      mask = Buffer.ensure(mask, n * I)
      masked = Buffer.ensure(masked, n * I)
      let keep = 1 - layer.dropoutBefore
      var rng = SeededGenerator(seed: ctx.dropoutSeed &+ UInt64(unit) &* 0x9E37_79B9)
      let mp = mask!.pointer, dp = masked!.pointer
      for i in 0..<(n * I) {
        mp[i] = rng.unitDouble() < keep ? T(1 / keep) : 0
        dp[i] = features[i] * mp[i]
      }
      features = UnsafePointer(dp)
    }
    pre = Buffer.ensure(pre, n * O)
    out = Buffer.ensure(out, n * O)
    for i in 0..<n { (pre!.pointer + i * O).update(from: bias.value.pointer, count: O) }
    T.gemm(
      transA: false, transB: true, m: n, n: O, k: I, alpha: 1, a: features, lda: I, b: weight.value.pointer, ldb: I,
      beta: 1, c: pre!.pointer, ldc: O)
    featuresUsed = features
    ActivationKernels.forward(
      layer.activation, x: pre!.pointer, y: out!.pointer, rows: n, channels: O, scale: nil, shift: nil, threads: 1)
    return Tensor(buffer: out!, batch: n, height: 1, width: 1, channels: O)
  }

  private var featuresUsed: UnsafePointer<T>?

  func backward(_ dy: Tensor<T>, _ ctx: RunContext<T>, inputGradient: Bool) -> Tensor<T>? {
    guard let x = input, let features = featuresUsed else { preconditionFailure("internal: backward before forward") }
    precondition(lastNormalization != .runningStatistics || norm == nil, "internal: backward needs a training pass")
    let n = x.batch, I = layer.inFeatures, O = layer.outFeatures
    scratch = Buffer.ensure(scratch, n * O)
    let d = scratch!.pointer
    ActivationKernels.backward(
      layer.activation, x: pre!.pointer, gradOutput: dy.pointer, gradInput: d, rows: n, channels: O, scale: nil, shift: nil,
      threads: 1)
    T.gemm(
      transA: true, transB: false, m: O, n: I, k: n, alpha: 1, a: d, lda: O, b: features, ldb: I, beta: 1,
      c: weight.gradient.pointer, ldc: I)
    for i in 0..<n { for o in 0..<O { bias.gradient.pointer[o] += d[i * O + o] } }
    let needFeatureGradient = inputGradient || (norm != nil && lastNormalization == .batchStatistics)
    guard needFeatureGradient else { return nil }
    dFeatures = Buffer.ensure(dFeatures, n * I)
    let df = dFeatures!.pointer
    T.gemm(
      transA: false, transB: false, m: n, n: I, k: O, alpha: 1, a: d, lda: O, b: weight.value.pointer, ldb: I, beta: 0,
      c: df, ldc: I)
    if droppedOut, let mask { for i in 0..<(n * I) { df[i] *= mask.pointer[i] } }
    if let norm, lastNormalization == .batchStatistics {
      // df becomes the gradient of the batch-norm input; x̂ is in `normalized`.
      BatchNormKernels.backward(
        xhat: normalized!.pointer, dy: df, rows: n, channels: I, gamma: norm.gamma.value.pointer,
        invstd: norm.invstd.pointer, dGamma: norm.gamma.gradient.pointer, dBeta: norm.beta.gradient.pointer, threads: 1)
    }
    guard inputGradient else { return nil }
    dx = Buffer.ensure(dx, n * I)
    dx!.pointer.update(from: df, count: n * I)
    return Tensor(buffer: dx!, batch: n, height: 1, width: 1, channels: I)
  }
}
