import NASArch

/// How batch norm behaves in a pass.
public enum NormalizationMode: Sendable {
  /// Training: normalise with the batch's statistics (and update the running ones).
  case batchStatistics
  /// Inference: normalise with the running statistics.
  case runningStatistics
  /// Batch norm removed (identity), as synflow scores a network.
  case bypass
}

/// Sees the input of every rectifier-like activation of a pass (NASWOT's binary codes): the
/// pre-activation is `x·scale + shift` per channel, over `rows` rows of `channels`, for a
/// batch of `batch` samples laid out one after another.
typealias ActivationObserver<T: TrainScalar> = (
  _ activation: Activation, _ x: UnsafePointer<T>, _ batch: Int, _ rows: Int, _ channels: Int,
  _ scale: UnsafePointer<T>?, _ shift: UnsafePointer<T>?
) -> Void

/// Settings of one forward (and backward) pass.
struct RunContext<T: TrainScalar> {
  var threads: Int
  var normalization: NormalizationMode
  var updateRunningStatistics: Bool
  var dropout: Bool
  var dropoutSeed: UInt64 = 0
  var observer: ActivationObserver<T>? = nil

  static func training(threads: Int, seed: UInt64) -> RunContext {
    RunContext(threads: threads, normalization: .batchStatistics, updateRunningStatistics: true, dropout: true, dropoutSeed: seed)
  }
  static func inference(threads: Int) -> RunContext {
    RunContext(threads: threads, normalization: .runningStatistics, updateRunningStatistics: false, dropout: false)
  }
}

/// Batch-norm constants (PyTorch's defaults: new = (1-m)·old + m·batch with m = 0.1, ε = 1e-5).
enum BatchNormConstants {
  static let momentum = 0.1
  static let epsilon = 1e-5
}

/// One primitive layer of a network with its forward and backward pass. Layers own their
/// output and gradient buffers; the input tensor of the last forward pass stays valid until the
/// next one (it is the previous layer's output), so backward reads it without copying.
///
/// An enum of final classes rather than a class hierarchy: calls are direct, so the whole
/// pass specialises for `Float` (a virtual call into a generic class runs unspecialised code,
/// tens of times slower).
enum LayerModule<T: TrainScalar> {
  case conv(ConvModule<T>)
  case squeezeExcite(SqueezeExciteModule<T>)
  case pool(GlobalPoolModule<T>)
  case linear(LinearModule<T>)

  @inline(__always)
  func forward(_ x: Tensor<T>, _ ctx: RunContext<T>) -> Tensor<T> {
    switch self {
    case .conv(let m): return m.forward(x, ctx)
    case .squeezeExcite(let m): return m.forward(x, ctx)
    case .pool(let m): return m.forward(x, ctx)
    case .linear(let m): return m.forward(x, ctx)
    }
  }

  /// Adds parameter gradients and returns the input gradient (nil when not asked for).
  @inline(__always)
  func backward(_ dy: Tensor<T>, _ ctx: RunContext<T>, inputGradient: Bool) -> Tensor<T>? {
    switch self {
    case .conv(let m): return m.backward(dy, ctx, inputGradient: inputGradient)
    case .squeezeExcite(let m): return m.backward(dy, ctx, inputGradient: inputGradient)
    case .pool(let m): return m.backward(dy, ctx, inputGradient: inputGradient)
    case .linear(let m): return m.backward(dy, ctx, inputGradient: inputGradient)
    }
  }

  var parameters: [Parameter<T>] {
    switch self {
    case .conv(let m): return m.parameters
    case .squeezeExcite(let m): return m.parameters
    case .pool: return []
    case .linear(let m): return m.parameters
    }
  }

  var isPool: Bool {
    if case .pool = self { return true }
    return false
  }
}
