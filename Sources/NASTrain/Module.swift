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

/// One primitive layer of a network with its forward and backward pass. Layers own their
/// output and gradient buffers; the input tensor of the last forward pass stays valid until the
/// next one (it is the previous layer's output), so backward reads it without copying.
class Module<T: TrainScalar> {
  var parameters: [Parameter<T>] = []
  let unit: Int
  /// Batch-norm momentum (PyTorch convention: new = (1-m)·old + m·batch) and epsilon.
  static var bnMomentum: Double { 0.1 }
  static var bnEpsilon: Double { 1e-5 }

  init(unit: Int) { self.unit = unit }

  func forward(_ x: Tensor<T>, _ ctx: RunContext<T>) -> Tensor<T> { fatalError("abstract") }
  /// Adds parameter gradients and returns the input gradient (nil when not asked for).
  func backward(_ dy: Tensor<T>, _ ctx: RunContext<T>, inputGradient: Bool) -> Tensor<T>? { fatalError("abstract") }
}
