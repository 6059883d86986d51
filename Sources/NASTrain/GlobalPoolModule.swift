/// Mean over the pixels of each sample and channel.
enum GlobalPoolKernels {
  static func forward<T: TrainScalar>(
    _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, batch: Int, pixels: Int, channels C: Int, threads: Int
  ) {
    let inv = T(1) / T(pixels)
    Parallel.chunks(batch, threads: threads) { _, r in
      for i in r {
        blocks(C) { c, m in
          var acc = SIMD8<T>()
          for p in 0..<pixels { acc += load8(x + (i * pixels + p) * C + c, m) }
          store8(acc * inv, y + i * C + c, m)
        }
      }
    }
  }
}

/// Global average pooling to 1×1.
final class GlobalPoolModule<T: TrainScalar> {
  private var out: Buffer<T>?, dx: Buffer<T>?
  private var inputShape: (batch: Int, height: Int, width: Int, channels: Int) = (0, 0, 0, 0)

  func forward(_ x: Tensor<T>, _ ctx: RunContext<T>) -> Tensor<T> {
    inputShape = (x.batch, x.height, x.width, x.channels)
    out = Buffer.ensure(out, x.batch * x.channels)
    GlobalPoolKernels.forward(
      x.pointer, out!.pointer, batch: x.batch, pixels: x.height * x.width, channels: x.channels, threads: ctx.threads)
    return Tensor(buffer: out!, batch: x.batch, height: 1, width: 1, channels: x.channels)
  }

  func backward(_ dy: Tensor<T>, _ ctx: RunContext<T>, inputGradient: Bool) -> Tensor<T>? {
    guard inputGradient else { return nil }
    let (n, h, w, C) = inputShape
    let P = h * w
    dx = Buffer.ensure(dx, n * P * C)
    let g = dy.pointer, d = dx!.pointer
    let inv = T(1) / T(P)
    Parallel.chunks(n, threads: ctx.threads) { _, r in
      for i in r {
        for p in 0..<P {
          blocks(C) { c, m in
            store8(load8(g + i * C + c, m) * inv, d + (i * P + p) * C + c, m)
          }
        }
      }
    }
    return Tensor(buffer: dx!, batch: n, height: h, width: w, channels: C)
  }
}
