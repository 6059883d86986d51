import CNASKernels

/// The shapes of one "same"-padded 2-D convolution (padding (k-1)/2, as torchvision's MobileNets).
struct ConvGeometry {
  var height: Int, width: Int, inChannels: Int
  var outHeight: Int, outWidth: Int, outChannels: Int
  var kernel: Int, stride: Int, padding: Int, groups: Int

  init(height: Int, width: Int, inChannels: Int, outChannels: Int, kernel: Int, stride: Int, groups: Int) {
    self.height = height
    self.width = width
    self.inChannels = inChannels
    self.outChannels = outChannels
    self.kernel = kernel
    self.stride = stride
    self.groups = groups
    padding = (kernel - 1) / 2
    outHeight = (height + 2 * padding - kernel) / stride + 1
    outWidth = (width + 2 * padding - kernel) / stride + 1
  }

  var groupInChannels: Int { inChannels / groups }
  var groupOutChannels: Int { outChannels / groups }
  /// Columns of the im2col matrix of one group: (ky, kx, ci) with ci fastest.
  var patchSize: Int { kernel * kernel * groupInChannels }
  var isDepthwise: Bool { groups > 1 && groups == inChannels && groups == outChannels }
  /// A 1×1 stride-1 ungrouped convolution: a plain matrix product over the NHWC rows.
  var isPointwise: Bool { kernel == 1 && stride == 1 && groups == 1 }
  var outPixels: Int { outHeight * outWidth }

  /// Valid kernel offsets for output coordinate `o` along a side of length `n`.
  @inline(__always)
  func taps(_ o: Int, _ n: Int) -> (origin: Int, lo: Int, hi: Int) {
    let origin = o * stride - padding
    return (origin, max(0, -origin), min(kernel, n - origin))
  }
}

/// im2col and col2im for NHWC tensors: each output pixel becomes a row of k·k·(C/groups)
/// values, so a convolution is one matrix product per group.
enum Im2Col {
  /// Fills `cols` (rows = samples·outPixels, columns = patchSize) for samples `samples` and group `group`.
  static func gather<T: TrainScalar>(
    _ g: ConvGeometry, x: UnsafePointer<T>, cols: UnsafeMutablePointer<T>, samples: Range<Int>, group: Int
  ) {
    let cg = g.groupInChannels, k = g.kernel, patch = g.patchSize
    var row = cols
    for n in samples {
      let xs = x + n * g.height * g.width * g.inChannels + group * cg
      for oy in 0..<g.outHeight {
        let (iy0, kyLo, kyHi) = g.taps(oy, g.height)
        for ox in 0..<g.outWidth {
          let (ix0, kxLo, kxHi) = g.taps(ox, g.width)
          if kyLo > 0 || kyHi < k || kxLo > 0 || kxHi < k { row.update(repeating: 0, count: patch) }
          for ky in kyLo..<max(kyLo, kyHi) {
            for kx in kxLo..<max(kxLo, kxHi) {
              let src = xs + ((iy0 + ky) * g.width + (ix0 + kx)) * g.inChannels
              (row + (ky * k + kx) * cg).update(from: src, count: cg)
            }
          }
          row += patch
        }
      }
    }
  }

  /// Adds `cols` back into `dx` (the transpose of `gather`); `dx` is not cleared here.
  static func scatter<T: TrainScalar>(
    _ g: ConvGeometry, cols: UnsafePointer<T>, dx: UnsafeMutablePointer<T>, samples: Range<Int>, group: Int
  ) {
    let cg = g.groupInChannels, k = g.kernel, patch = g.patchSize
    var row = cols
    for n in samples {
      let xs = dx + n * g.height * g.width * g.inChannels + group * cg
      for oy in 0..<g.outHeight {
        let (iy0, kyLo, kyHi) = g.taps(oy, g.height)
        for ox in 0..<g.outWidth {
          let (ix0, kxLo, kxHi) = g.taps(ox, g.width)
          for ky in kyLo..<max(kyLo, kyHi) {
            for kx in kxLo..<max(kxLo, kxHi) {
              let dst = xs + ((iy0 + ky) * g.width + (ix0 + kx)) * g.inChannels
              let src = row + (ky * k + kx) * cg
              blocks(cg) { c, m in
                store8(load8(dst + c, m) + load8(src + c, m), dst + c, m)
              }
            }
          }
          row += patch
        }
      }
    }
  }
}

/// Depthwise convolution (one k×k filter per channel) on NHWC tensors, vectorised across
/// channels in the dispatched C kernels. Weights are stored [ky][kx][c].
enum DepthwiseKernels {
  static func forward<T: TrainScalar>(
    _ g: ConvGeometry, x: UnsafePointer<T>, w: UnsafePointer<T>, y: UnsafeMutablePointer<T>, samples: Range<Int>
  ) {
    var geometry = g.depthwise
    T.depthwiseForward(&geometry, x, w, y, samples)
  }

  /// dx = conv-transpose(dy) for the samples given (dx cleared first); dw accumulates into `dw`.
  static func backward<T: TrainScalar>(
    _ g: ConvGeometry, x: UnsafePointer<T>, w: UnsafePointer<T>, dy: UnsafePointer<T>, dx: UnsafeMutablePointer<T>?,
    dw: UnsafeMutablePointer<T>, samples: Range<Int>
  ) {
    var geometry = g.depthwise
    T.depthwiseBackward(&geometry, x, w, dy, dx, dw, samples)
  }
}

extension ConvGeometry {
  /// The shapes as the C depthwise kernels take them.
  var depthwise: nas_depthwise_geometry {
    nas_depthwise_geometry(
      height: height, width: width, channels: inChannels, out_height: outHeight, out_width: outWidth, kernel: kernel,
      stride: stride, padding: padding)
  }
}
