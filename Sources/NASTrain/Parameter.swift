/// What a tensor of a network is, which decides how it is initialised, whether weight decay
/// applies and whether the optimiser updates it.
public enum ParameterKind: String, Codable, Sendable {
  /// Convolution or fully connected weights (decayed).
  case weight
  /// Convolution or fully connected bias.
  case bias
  /// Batch-norm scale γ.
  case normScale
  /// Batch-norm shift β.
  case normShift
  /// Batch-norm running mean (a statistic, not trained).
  case runningMean
  /// Batch-norm running variance (a statistic, not trained).
  case runningVariance

  /// Whether the optimiser updates it.
  public var isTrainable: Bool { self != .runningMean && self != .runningVariance }
}

/// How a tensor is laid out in memory compared with PyTorch's layout, which is the layout of
/// every exported tensor (safetensors, ``NamedTensor``).
enum StorageLayout: Sendable {
  /// Same order as PyTorch.
  case same
  /// Stored [out][ky][kx][in] for im2col on NHWC; PyTorch has [out][in][ky][kx].
  case outHWIn(out: Int, kernel: Int, inPerGroup: Int)
  /// Depthwise, stored [ky][kx][c]; PyTorch has [c][1][ky][kx].
  case depthwise(kernel: Int, channels: Int)

  func toPyTorch<T: TrainScalar>(_ v: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>) {
    switch self {
    case .same:
      break
    case .outHWIn(let o, let k, let i):
      for a in 0..<o {
        for ky in 0..<k {
          for kx in 0..<k {
            for ci in 0..<i { out[((a * i + ci) * k + ky) * k + kx] = v[((a * k + ky) * k + kx) * i + ci] }
          }
        }
      }
    case .depthwise(let k, let c):
      for t in 0..<(k * k) {
        for ch in 0..<c { out[ch * k * k + t] = v[t * c + ch] }
      }
    }
  }

  func fromPyTorch<T: TrainScalar>(_ v: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>) {
    switch self {
    case .same:
      break
    case .outHWIn(let o, let k, let i):
      for a in 0..<o {
        for ky in 0..<k {
          for kx in 0..<k {
            for ci in 0..<i { out[((a * k + ky) * k + kx) * i + ci] = v[((a * i + ci) * k + ky) * k + kx] }
          }
        }
      }
    case .depthwise(let k, let c):
      for t in 0..<(k * k) {
        for ch in 0..<c { out[t * c + ch] = v[ch * k * k + t] }
      }
    }
  }
}

/// One tensor of a network (a parameter or a batch-norm statistic) with its gradient and
/// optimiser state. Its ``name`` and ``shape`` are those of the equivalent PyTorch state-dict
/// entry (see docs/training.md for the naming scheme).
public final class Parameter<T: TrainScalar> {
  public let name: String
  /// The PyTorch shape, e.g. [out, in/groups, k, k] for a convolution.
  public let shape: [Int]
  public let kind: ParameterKind
  /// Index of the architecture unit it belongs to.
  public let unit: Int
  let layout: StorageLayout
  let value: Buffer<T>
  let gradient: Buffer<T>
  var velocity: Buffer<T>?
  /// Fan-in and fan-out used by initialisation (weights only).
  let fanIn: Int, fanOut: Int

  init(name: String, shape: [Int], kind: ParameterKind, unit: Int, layout: StorageLayout = .same, fanIn: Int = 1, fanOut: Int = 1) {
    self.name = name
    self.shape = shape
    self.kind = kind
    self.unit = unit
    self.layout = layout
    self.fanIn = fanIn
    self.fanOut = fanOut
    let count = shape.reduce(1, *)
    value = Buffer(count: count)
    gradient = Buffer(count: kind.isTrainable ? count : 0)
  }

  public var count: Int { value.count }

  /// The values in PyTorch layout.
  public func values() -> [T] {
    var out = [T](repeating: 0, count: count)
    out.withUnsafeMutableBufferPointer { o in
      if case .same = layout {
        o.baseAddress!.update(from: value.pointer, count: count)
      } else {
        layout.toPyTorch(UnsafePointer(value.pointer), o.baseAddress!)
      }
    }
    return out
  }

  /// Sets the values from PyTorch layout; `values.count` must equal ``count``.
  public func setValues(_ values: [T]) {
    precondition(values.count == count, "internal: \(name) expects \(count) values")
    values.withUnsafeBufferPointer { v in
      if case .same = layout {
        value.pointer.update(from: v.baseAddress!, count: count)
      } else {
        layout.fromPyTorch(v.baseAddress!, value.pointer)
      }
    }
  }

  /// The optimiser's momentum in storage order (nil before the first step): saved with a
  /// training checkpoint and only ever read back into the same network.
  func momentumInStorageOrder() -> [T]? {
    guard let velocity else { return nil }
    return Array(UnsafeBufferPointer(start: velocity.pointer, count: count))
  }

  func setMomentumInStorageOrder(_ values: [T]) {
    precondition(values.count == count, "internal: \(name) expects \(count) momentum values")
    let v = Buffer<T>(count: count)
    values.withUnsafeBufferPointer { v.pointer.update(from: $0.baseAddress!, count: count) }
    velocity = v
  }

  /// The gradient in PyTorch layout (empty for statistics).
  public func gradients() -> [T] {
    guard kind.isTrainable else { return [] }
    var out = [T](repeating: 0, count: count)
    out.withUnsafeMutableBufferPointer { o in
      if case .same = layout {
        o.baseAddress!.update(from: gradient.pointer, count: count)
      } else {
        layout.toPyTorch(UnsafePointer(gradient.pointer), o.baseAddress!)
      }
    }
    return out
  }

  /// Reads or writes one value by its PyTorch flat index (for gradient checks and surgery).
  public subscript(pytorchIndex i: Int) -> T {
    get { value.pointer[storageIndex(i)] }
    set { value.pointer[storageIndex(i)] = newValue }
  }

  /// The gradient at a PyTorch flat index.
  public func gradient(pytorchIndex i: Int) -> T { gradient.pointer[storageIndex(i)] }

  func storageIndex(_ i: Int) -> Int {
    switch layout {
    case .same:
      return i
    case .outHWIn(_, let k, let inPer):
      let kx = i % k, ky = (i / k) % k, ci = (i / (k * k)) % inPer, a = i / (k * k * inPer)
      return ((a * k + ky) * k + kx) * inPer + ci
    case .depthwise(let k, let c):
      let t = i % (k * k), ch = i / (k * k)
      return t * c + ch
    }
  }
}
