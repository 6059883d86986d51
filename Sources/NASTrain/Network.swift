import NASArch
import NASSupport

/// A trainable network built from an ``Architecture`` through the one lowering in NASArch
/// (`Unit.segments(inChannels:)`): one module per primitive layer, identity residuals around
/// the segments that carry them. Activations are NHWC; every tensor is exported in PyTorch
/// layout under a PyTorch-style name (see ``Parameter``).
public final class Network<T: TrainScalar> {
  public let architecture: Architecture
  /// Every tensor (parameters and batch-norm statistics) in module order.
  public let parameters: [Parameter<T>]
  /// Threads used by the kernels (the engine splits batches itself and keeps OpenBLAS at one
  /// thread per call; see docs/training.md).
  public var threads: Int

  struct Segment {
    var unit: Int
    var modules: [LayerModule<T>]
    var residual: Bool
    var sum: Buffer<T>?
  }

  var segments: [Segment]
  let inputShape: Shape
  let outputShape: Shape
  private var inputBuffer: Buffer<T>?

  /// Builds the network and initialises it as torchvision initialises MobileNets: convolution
  /// weights Kaiming-normal (fan-out), batch norm γ = 1 and β = 0, classifier weights N(0, 0.01),
  /// biases 0, all drawn from `seed`.
  public init(_ architecture: Architecture, seed: UInt64 = 0, threads: Int = 2) throws(TrainError) {
    let placed: [PlacedUnit]
    do {
      placed = try architecture.placedUnits()
    } catch {
      throw .invalidArchitecture(error.description)
    }
    self.architecture = architecture
    self.threads = max(1, threads)
    var segments: [Segment] = []
    for unit in placed {
      var layerIndex = 0
      for segment in unit.segments {
        var modules: [LayerModule<T>] = []
        for placedLayer in segment.layers {
          let prefix = "units.\(unit.index).layers.\(layerIndex)"
          layerIndex += 1
          switch placedLayer.layer {
          case .conv(let c):
            modules.append(.conv(ConvModule(c, input: placedLayer.input, unit: unit.index, prefix: prefix)))
          case .squeezeExcite(let se):
            modules.append(.squeezeExcite(SqueezeExciteModule(se, input: placedLayer.input, unit: unit.index, prefix: prefix)))
          case .globalAveragePool:
            modules.append(.pool(GlobalPoolModule()))
          case .linear(let l):
            modules.append(.linear(LinearModule(l, unit: unit.index, prefix: prefix)))
          }
        }
        segments.append(Segment(unit: unit.index, modules: modules, residual: segment.residual, sum: nil))
      }
    }
    self.segments = segments
    parameters = segments.flatMap { $0.modules.flatMap(\.parameters) }
    inputShape = architecture.inputShape
    outputShape = placed.last?.output ?? architecture.inputShape
    initialize(seed: seed)
  }

  /// Re-draws every parameter and resets the statistics (see ``init(_:seed:threads:)``).
  public func initialize(seed: UInt64) {
    var rng = SeededGenerator(seed: seed)
    for p in parameters {
      let v = p.value.pointer
      switch p.kind {
      case .weight:
        let std = p.shape.count == 2 ? 0.01 : (2.0 / Double(max(1, p.fanOut))).squareRoot()
        for i in 0..<p.count { v[i] = T(rng.normal() * std) }
      case .bias, .normShift, .runningMean:
        v.update(repeating: 0, count: p.count)
      case .normScale, .runningVariance:
        v.update(repeating: 1, count: p.count)
      }
      p.velocity = nil
    }
  }

  /// The tensor called `name`, if any.
  public func parameter(named name: String) -> Parameter<T>? { parameters.first { $0.name == name } }

  /// The tensors of one unit (index into `architecture.units`), in module order.
  public func parameters(unit: Int) -> [Parameter<T>] { parameters.filter { $0.unit == unit } }

  public var trainableParameterCount: Int { parameters.filter { $0.kind.isTrainable }.reduce(0) { $0 + $1.count } }

  public func zeroGradients() {
    for p in parameters where p.kind.isTrainable { p.gradient.zero() }
  }

  /// Copies `batch` NHWC samples into the network's input tensor.
  func input(from source: UnsafePointer<T>, batch: Int) -> Tensor<T> {
    let count = batch * inputShape.elements
    inputBuffer = Buffer.ensure(inputBuffer, count)
    inputBuffer!.pointer.update(from: source, count: count)
    return Tensor(
      buffer: inputBuffer!, batch: batch, height: inputShape.height, width: inputShape.width, channels: inputShape.channels)
  }

  /// Runs the layers; with `stopBeforePool` returns the feature map entering the first global
  /// pooling (Zen-score's pre-GAP features). `unitOutput` sees each unit's output (after its
  /// last segment, residual included) while it is valid: the buffer is reused by the next pass.
  func forward(
    _ x: Tensor<T>, _ ctx: RunContext<T>, stopBeforePool: Bool = false, unitOutput: ((_ unit: Int, Tensor<T>) -> Void)? = nil
  ) -> Tensor<T> {
    var current = x
    for s in segments.indices {
      let segmentInput = current
      for m in segments[s].modules {
        if stopBeforePool && m.isPool { return current }
        current = m.forward(current, ctx)
      }
      if segments[s].residual {
        let sum = Buffer.ensure(segments[s].sum, current.count)
        segments[s].sum = sum
        ElementwiseKernels.add(segmentInput.pointer, current.pointer, into: sum.pointer, count: current.count, threads: ctx.threads)
        current.buffer = sum
      }
      if let unitOutput, s + 1 == segments.count || segments[s + 1].unit != segments[s].unit {
        unitOutput(segments[s].unit, current)
      }
    }
    return current
  }

  /// Back-propagates the gradient of the output, adding into every parameter's gradient; returns
  /// the gradient of the input when asked.
  @discardableResult
  func backward(_ gradient: Tensor<T>, _ ctx: RunContext<T>, inputGradient: Bool = false) -> Tensor<T>? {
    var current = gradient
    for s in segments.indices.reversed() {
      let outputGradient = current
      let modules = segments[s].modules
      for i in modules.indices.reversed() {
        let first = s == 0 && i == 0
        guard let g = modules[i].backward(current, ctx, inputGradient: !first || inputGradient) else { return nil }
        current = g
      }
      if segments[s].residual {
        // The first module's input gradient is its own buffer: add the skip path in place.
        ElementwiseKernels.add(current.pointer, outputGradient.pointer, into: current.pointer, count: current.count, threads: ctx.threads)
      }
    }
    return current
  }
}

/// Elementwise sums (residual connections).
enum ElementwiseKernels {
  static func add<T: TrainScalar>(
    _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, into c: UnsafeMutablePointer<T>, count: Int, threads: Int
  ) {
    Parallel.chunks((count + 7) / 8, threads: threads) { _, r in
      let start = r.lowerBound * 8
      blocks(min(count, r.upperBound * 8) - start) { o, n in
        let i = start + o
        store8(load8(a + i, n) + load8(b + i, n), c + i, n)
      }
    }
  }

  static func add<T: TrainScalar>(
    _ a: UnsafeMutablePointer<T>, _ b: UnsafeMutablePointer<T>, into c: UnsafeMutablePointer<T>, count: Int, threads: Int
  ) {
    add(UnsafePointer(a), UnsafePointer(b), into: c, count: count, threads: threads)
  }
}
