import NASArch

/// Squeeze-and-excite: global average pool, 1×1 reduce with bias and activation, 1×1 expand
/// with bias, gate, channel-wise multiply of the input.
final class SqueezeExciteModule<T: TrainScalar> {
  let se: SqueezeExcite
  let pixels: Int
  let parameters: [Parameter<T>]
  let reduceWeight: Parameter<T>, reduceBias: Parameter<T>, expandWeight: Parameter<T>, expandBias: Parameter<T>
  private var input: Tensor<T>?
  private var pooled: Buffer<T>?, hiddenPre: Buffer<T>?, hidden: Buffer<T>?, gatePre: Buffer<T>?, gate: Buffer<T>?
  private var out: Buffer<T>?, dx: Buffer<T>?
  private var dGate: Buffer<T>?, dHidden: Buffer<T>?, dPooled: Buffer<T>?

  init(_ se: SqueezeExcite, input: Shape, unit: Int, prefix: String) {
    self.se = se
    pixels = input.height * input.width
    let C = se.channels, S = se.squeezeChannels
    reduceWeight = Parameter(
      name: prefix + ".se.reduce.weight", shape: [S, C, 1, 1], kind: .weight, unit: unit, fanIn: C, fanOut: S)
    reduceBias = Parameter(name: prefix + ".se.reduce.bias", shape: [S], kind: .bias, unit: unit)
    expandWeight = Parameter(
      name: prefix + ".se.expand.weight", shape: [C, S, 1, 1], kind: .weight, unit: unit, fanIn: S, fanOut: C)
    expandBias = Parameter(name: prefix + ".se.expand.bias", shape: [C], kind: .bias, unit: unit)
    parameters = [reduceWeight, reduceBias, expandWeight, expandBias]
  }

  func forward(_ x: Tensor<T>, _ ctx: RunContext<T>) -> Tensor<T> {
    let n = x.batch, C = se.channels, S = se.squeezeChannels, P = pixels
    input = x
    pooled = Buffer.ensure(pooled, n * C + 8)
    hiddenPre = Buffer.ensure(hiddenPre, n * S + 8)
    hidden = Buffer.ensure(hidden, n * S + 8)
    gatePre = Buffer.ensure(gatePre, n * C + 8)
    gate = Buffer.ensure(gate, n * C + 8)
    out = Buffer.ensure(out, x.count)
    let xp = x.pointer, s = pooled!.pointer
    GlobalPoolKernels.forward(xp, s, batch: n, pixels: P, channels: C, threads: ctx.threads)
    // Small matrix products ([n, C] by [C, S]) with the bias preloaded into the output.
    for i in 0..<n { (hiddenPre!.pointer + i * S).update(from: reduceBias.value.pointer, count: S) }
    T.gemm(
      transA: false, transB: true, m: n, n: S, k: C, alpha: 1, a: s, lda: C, b: reduceWeight.value.pointer, ldb: C,
      beta: 1, c: hiddenPre!.pointer, ldc: S)
    if let observer = ctx.observer { observer(se.activation, hiddenPre!.pointer, n, n, S, nil, nil) }
    ActivationKernels.forward(
      se.activation, x: hiddenPre!.pointer, y: hidden!.pointer, rows: n, channels: S, scale: nil, shift: nil, threads: 1)
    for i in 0..<n { (gatePre!.pointer + i * C).update(from: expandBias.value.pointer, count: C) }
    T.gemm(
      transA: false, transB: true, m: n, n: C, k: S, alpha: 1, a: hidden!.pointer, lda: S, b: expandWeight.value.pointer,
      ldb: S, beta: 1, c: gatePre!.pointer, ldc: C)
    ActivationKernels.forward(
      se.gate, x: gatePre!.pointer, y: gate!.pointer, rows: n, channels: C, scale: nil, shift: nil, threads: 1)
    let gp = gate!.pointer, op = out!.pointer
    Parallel.chunks(n, threads: ctx.threads) { _, r in
      for i in r {
        let gv = gp + i * C
        for p in 0..<P {
          let o = (i * P + p) * C
          blocks(C) { c, m in
            store8(load8(xp + o + c, m) * load8(gv + c, m), op + o + c, m)
          }
        }
      }
    }
    return Tensor(buffer: out!, batch: n, height: x.height, width: x.width, channels: C)
  }

  func backward(_ dy: Tensor<T>, _ ctx: RunContext<T>, inputGradient: Bool) -> Tensor<T>? {
    guard let x = input else { preconditionFailure("internal: backward before forward") }
    let n = x.batch, C = se.channels, S = se.squeezeChannels, P = pixels
    dGate = Buffer.ensure(dGate, n * C + 8)
    dHidden = Buffer.ensure(dHidden, n * S + 8)
    dPooled = Buffer.ensure(dPooled, n * C + 8)
    dx = Buffer.ensure(dx, x.count)
    let xp = x.pointer, gp = dy.pointer, gate = gate!.pointer, dg = dGate!.pointer
    // dGate[n, c] = Σ_pixels dy · x.
    Parallel.chunks(n, threads: ctx.threads) { _, r in
      for i in r {
        blocks(C) { c, m in
          var acc = SIMD8<T>()
          for p in 0..<P {
            let o = (i * P + p) * C + c
            acc += load8(xp + o, m) * load8(gp + o, m)
          }
          store8(acc, dg + i * C + c, m)
        }
      }
    }
    // Through the gate, in place.
    ActivationKernels.backward(
      se.gate, x: gatePre!.pointer, gradOutput: dg, gradInput: dg, rows: n, channels: C, scale: nil, shift: nil, threads: 1)
    T.gemm(
      transA: true, transB: false, m: C, n: S, k: n, alpha: 1, a: dg, lda: C, b: hidden!.pointer, ldb: S, beta: 1,
      c: expandWeight.gradient.pointer, ldc: S)
    for i in 0..<n { for c in 0..<C { expandBias.gradient.pointer[c] += dg[i * C + c] } }
    let dh = dHidden!.pointer
    T.gemm(
      transA: false, transB: false, m: n, n: S, k: C, alpha: 1, a: dg, lda: C, b: expandWeight.value.pointer, ldb: S,
      beta: 0, c: dh, ldc: S)
    ActivationKernels.backward(
      se.activation, x: hiddenPre!.pointer, gradOutput: dh, gradInput: dh, rows: n, channels: S, scale: nil, shift: nil,
      threads: 1)
    T.gemm(
      transA: true, transB: false, m: S, n: C, k: n, alpha: 1, a: dh, lda: S, b: pooled!.pointer, ldb: C, beta: 1,
      c: reduceWeight.gradient.pointer, ldc: C)
    for i in 0..<n { for j in 0..<S { reduceBias.gradient.pointer[j] += dh[i * S + j] } }
    guard inputGradient else { return nil }
    let ds = dPooled!.pointer
    T.gemm(
      transA: false, transB: false, m: n, n: C, k: S, alpha: T(1) / T(P), a: dh, lda: S, b: reduceWeight.value.pointer,
      ldb: C, beta: 0, c: ds, ldc: C)
    let dxp = dx!.pointer
    Parallel.chunks(n, threads: ctx.threads) { _, r in
      for i in r {
        for p in 0..<P {
          let o = (i * P + p) * C
          blocks(C) { c, m in
            store8(load8(gp + o + c, m) * load8(gate + i * C + c, m) + load8(ds + i * C + c, m), dxp + o + c, m)
          }
        }
      }
    }
    return Tensor(buffer: dx!, batch: n, height: x.height, width: x.width, channels: C)
  }
}
