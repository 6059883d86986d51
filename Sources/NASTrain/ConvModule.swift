import CNASKernels
import NASArch

/// A convolution with its normalisation and activation (conv → BN or bias → act), the unit of
/// every `ConvLayer` the lowering produces. Standard and grouped convolutions run as matrix
/// products (im2col for k > 1 or strides), depthwise ones with the vector kernel.
final class ConvModule<T: TrainScalar> {
  let layer: ConvLayer
  let geometry: ConvGeometry
  let weight: Parameter<T>
  let bias: Parameter<T>?
  let norm: BatchNormState<T>?
  let parameters: [Parameter<T>]
  /// Conv output; x̂ after a training-mode batch norm.
  private var z: Buffer<T>?
  private var out: Buffer<T>?
  private var scratch: Buffer<T>?
  private var dx: Buffer<T>?
  private var columns: [Buffer<T>] = []
  private var partials: [Buffer<T>] = []
  private var input: Tensor<T>?
  private var lastNormalization: NormalizationMode = .batchStatistics

  init(_ layer: ConvLayer, input: Shape, unit: Int, prefix: String) {
    self.layer = layer
    geometry = ConvGeometry(
      height: input.height, width: input.width, inChannels: layer.inChannels, outChannels: layer.outChannels,
      kernel: layer.kernel, stride: layer.stride, groups: layer.groups)
    let k = layer.kernel
    let layout: StorageLayout =
      geometry.isDepthwise
      ? .depthwise(kernel: k, channels: layer.outChannels)
      : (k == 1 ? .same : .outHWIn(out: layer.outChannels, kernel: k, inPerGroup: layer.inChannels / layer.groups))
    weight = Parameter(
      name: prefix + ".conv.weight", shape: [layer.outChannels, layer.inChannels / layer.groups, k, k], kind: .weight,
      unit: unit, layout: layout, fanIn: k * k * layer.inChannels / layer.groups, fanOut: k * k * layer.outChannels)
    if layer.normalization == .none {
      bias = Parameter(name: prefix + ".conv.bias", shape: [layer.outChannels], kind: .bias, unit: unit)
      norm = nil
    } else {
      bias = nil
      norm = BatchNormState(prefix: prefix + ".bn", channels: layer.outChannels, unit: unit)
    }
    parameters = [weight] + (bias.map { [$0] } ?? []) + (norm?.parameters ?? [])
  }

  func forward(_ x: Tensor<T>, _ ctx: RunContext<T>) -> Tensor<T> {
    let g = geometry
    let n = x.batch
    let rows = n * g.outPixels
    let C = g.outChannels
    input = x
    z = Buffer.ensure(z, rows * C)
    out = Buffer.ensure(out, rows * C)
    convolve(x, into: z!.pointer, ctx)
    lastNormalization = ctx.normalization
    let zp = z!.pointer, op = out!.pointer
    var scale: UnsafePointer<T>? = nil, shift: UnsafePointer<T>? = nil
    if let norm {
      switch ctx.normalization {
      case .batchStatistics:
        norm.normalizeTraining(zp, rows: rows, ctx, epsilon: BatchNormConstants.epsilon, momentum: BatchNormConstants.momentum)
        scale = UnsafePointer(norm.gamma.value.pointer)
        shift = UnsafePointer(norm.beta.value.pointer)
      case .runningStatistics:
        norm.prepareInference(epsilon: BatchNormConstants.epsilon)
        scale = UnsafePointer(norm.scale.pointer)
        shift = UnsafePointer(norm.shift.pointer)
      case .bypass:
        break
      }
    } else if let bias {
      shift = UnsafePointer(bias.value.pointer)
    }
    if let observer = ctx.observer {
      observer(layer.activation, zp, n, rows, C, scale, shift)
    }
    ActivationKernels.forward(
      layer.activation, x: zp, y: op, rows: rows, channels: C, scale: scale, shift: shift, threads: ctx.threads)
    return Tensor(buffer: out!, batch: n, height: g.outHeight, width: g.outWidth, channels: C)
  }

  func backward(_ dy: Tensor<T>, _ ctx: RunContext<T>, inputGradient: Bool) -> Tensor<T>? {
    let g = geometry
    guard let x = input, let z else { preconditionFailure("internal: backward before forward") }
    precondition(lastNormalization != .runningStatistics, "internal: backward needs a training or bypass pass")
    let n = x.batch
    let rows = n * g.outPixels
    let C = g.outChannels
    scratch = Buffer.ensure(scratch, rows * C)
    let d = scratch!.pointer
    if let norm, lastNormalization == .batchStatistics, let f = layer.activation.piecewiseLinearCode {
      BatchNormKernels.backward(
        through: f, xhat: z.pointer, gradOutput: dy.pointer, into: d, rows: rows, channels: C,
        gamma: norm.gamma.value.pointer, beta: norm.beta.value.pointer, invstd: norm.invstd.pointer,
        dGamma: norm.gamma.gradient.pointer, dBeta: norm.beta.gradient.pointer, threads: ctx.threads)
    } else if let norm, lastNormalization == .batchStatistics {
      ActivationKernels.backward(
        layer.activation, x: z.pointer, gradOutput: dy.pointer, gradInput: d, rows: rows, channels: C,
        scale: norm.gamma.value.pointer, shift: norm.beta.value.pointer, threads: ctx.threads)
      BatchNormKernels.backward(
        xhat: z.pointer, dy: d, rows: rows, channels: C, gamma: norm.gamma.value.pointer, invstd: norm.invstd.pointer,
        dGamma: norm.gamma.gradient.pointer, dBeta: norm.beta.gradient.pointer, threads: ctx.threads)
    } else if let bias {
      ActivationKernels.backward(
        layer.activation, x: z.pointer, gradOutput: dy.pointer, gradInput: d, rows: rows, channels: C, scale: nil,
        shift: bias.value.pointer, threads: ctx.threads)
      let sums = UnsafeMutablePointer<Double>.allocate(capacity: C)
      defer { sums.deallocate() }
      ChannelReductions.sum(rows: rows, channels: C, threads: ctx.threads, into: sums, .value(UnsafePointer(d)))
      for c in 0..<C { bias.gradient.pointer[c] += T(sums[c]) }
    } else {
      ActivationKernels.backward(
        layer.activation, x: z.pointer, gradOutput: dy.pointer, gradInput: d, rows: rows, channels: C, scale: nil,
        shift: nil, threads: ctx.threads)
    }
    if inputGradient { dx = Buffer.ensure(dx, x.count) }
    convolveBackward(x, dz: d, dx: inputGradient ? dx!.pointer : nil, ctx)
    return inputGradient ? Tensor(buffer: dx!, batch: n, height: g.height, width: g.width, channels: g.inChannels) : nil
  }

  /// Samples per im2col block, keeping each thread's column buffer near 16 MB at most.
  private var samplesPerBlock: Int { max(1, (4 << 20) / max(1, geometry.outPixels * geometry.patchSize)) }

  private func ensureColumns(_ threads: Int, _ n: Int) {
    let size = min(samplesPerBlock, n) * geometry.outPixels * geometry.patchSize
    while columns.count < threads { columns.append(Buffer(count: size)) }
    for t in 0..<threads { columns[t] = Buffer.ensure(columns[t], size) }
  }

  private func ensurePartials(_ threads: Int) {
    let size = weight.count
    while partials.count < threads { partials.append(Buffer(count: size)) }
  }

  private func convolve(_ x: Tensor<T>, into y: UnsafeMutablePointer<T>, _ ctx: RunContext<T>) {
    let g = geometry
    let w = UnsafePointer(weight.value.pointer)
    let xp = UnsafePointer(x.pointer)
    let n = x.batch
    if g.isDepthwise {
      Parallel.chunks(n, threads: ctx.threads) { _, r in DepthwiseKernels.forward(g, x: xp, w: w, y: y, samples: r) }
    } else if g.isPointwise {
      Parallel.chunks(x.rows, threads: ctx.threads) { _, r in
        T.gemm(
          transA: false, transB: true, m: r.count, n: g.outChannels, k: g.inChannels, alpha: 1,
          a: xp + r.lowerBound * g.inChannels, lda: g.inChannels, b: w, ldb: g.inChannels, beta: 0,
          c: y + r.lowerBound * g.outChannels, ldc: g.outChannels)
      }
    } else {
      let threads = Parallel.count(n, threads: ctx.threads)
      ensureColumns(threads, n)
      let block = samplesPerBlock
      let cols = columns.map { $0.pointer }
      Parallel.chunks(n, threads: ctx.threads) { t, r in
        var s = r.lowerBound
        while s < r.upperBound {
          let e = min(r.upperBound, s + block)
          let m = (e - s) * g.outPixels
          for grp in 0..<g.groups {
            Im2Col.gather(g, x: xp, cols: cols[t], samples: s..<e, group: grp)
            T.gemm(
              transA: false, transB: true, m: m, n: g.groupOutChannels, k: g.patchSize, alpha: 1, a: cols[t],
              lda: g.patchSize, b: w + grp * g.groupOutChannels * g.patchSize, ldb: g.patchSize, beta: 0,
              c: y + s * g.outPixels * g.outChannels + grp * g.groupOutChannels, ldc: g.outChannels)
          }
          s = e
        }
      }
    }
  }

  private func convolveBackward(_ x: Tensor<T>, dz: UnsafeMutablePointer<T>, dx: UnsafeMutablePointer<T>?, _ ctx: RunContext<T>) {
    let g = geometry
    let w = UnsafePointer(weight.value.pointer)
    let xp = UnsafePointer(x.pointer)
    let dzp = UnsafePointer(dz)
    let n = x.batch
    let total = g.isPointwise ? x.rows : n
    let threads = Parallel.count(total, threads: ctx.threads)
    ensurePartials(threads)
    let parts = partials.map { $0.pointer }
    let wc = weight.count
    if g.isDepthwise {
      Parallel.chunks(n, threads: ctx.threads) { t, r in
        parts[t].update(repeating: 0, count: wc)
        DepthwiseKernels.backward(g, x: xp, w: w, dy: dzp, dx: dx, dw: parts[t], samples: r)
      }
    } else if g.isPointwise {
      Parallel.chunks(x.rows, threads: ctx.threads) { t, r in
        T.gemm(
          transA: true, transB: false, m: g.outChannels, n: g.inChannels, k: r.count, alpha: 1,
          a: dzp + r.lowerBound * g.outChannels, lda: g.outChannels, b: xp + r.lowerBound * g.inChannels,
          ldb: g.inChannels, beta: 0, c: parts[t], ldc: g.inChannels)
        if let dx {
          T.gemm(
            transA: false, transB: false, m: r.count, n: g.inChannels, k: g.outChannels, alpha: 1,
            a: dzp + r.lowerBound * g.outChannels, lda: g.outChannels, b: w, ldb: g.inChannels, beta: 0,
            c: dx + r.lowerBound * g.inChannels, ldc: g.inChannels)
        }
      }
    } else {
      ensureColumns(threads, n)
      let block = samplesPerBlock
      let cols = columns.map { $0.pointer }
      Parallel.chunks(n, threads: ctx.threads) { t, r in
        parts[t].update(repeating: 0, count: wc)
        if let dx { (dx + r.lowerBound * g.height * g.width * g.inChannels).update(repeating: 0, count: r.count * g.height * g.width * g.inChannels) }
        var s = r.lowerBound
        while s < r.upperBound {
          let e = min(r.upperBound, s + block)
          let m = (e - s) * g.outPixels
          for grp in 0..<g.groups {
            let dzBlock = dzp + s * g.outPixels * g.outChannels + grp * g.groupOutChannels
            let wOffset = grp * g.groupOutChannels * g.patchSize
            Im2Col.gather(g, x: xp, cols: cols[t], samples: s..<e, group: grp)
            T.gemm(
              transA: true, transB: false, m: g.groupOutChannels, n: g.patchSize, k: m, alpha: 1, a: dzBlock,
              lda: g.outChannels, b: cols[t], ldb: g.patchSize, beta: 1, c: parts[t] + wOffset, ldc: g.patchSize)
            if let dx {
              T.gemm(
                transA: false, transB: false, m: m, n: g.patchSize, k: g.groupOutChannels, alpha: 1, a: dzBlock,
                lda: g.outChannels, b: w + wOffset, ldb: g.patchSize, beta: 0, c: cols[t], ldc: g.patchSize)
              Im2Col.scatter(g, cols: cols[t], dx: dx, samples: s..<e, group: grp)
            }
          }
          s = e
        }
      }
    }
    let grad = weight.gradient.pointer
    for t in 0..<threads {
      let p = parts[t]
      blocks(wc) { i, m in
        store8(load8(grad + i, m) + load8(p + i, m), grad + i, m)
      }
    }
  }
}
