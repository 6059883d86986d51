import Foundation
import NASArch
import NASSupport

/// Training-free scores of an untrained network (definitions in
/// ../shared/reference/nas-facts.md §9 and docs/training.md).
public enum ZeroCostProxy: String, CaseIterable, Codable, Sendable {
  /// Zen-score (Lin et al. 2021): how much the pre-pooling features move under a small input
  /// perturbation, with batch-norm scaling added back.
  case zen
  /// NASWOT (Mellor et al. 2021): log-determinant of the kernel of binary activation codes
  /// over a batch of real images.
  case naswot
  /// Synflow (Tanaka et al. 2020, as zero-cost-nas computes it): Σ|θ·∂R/∂θ| with absolute
  /// weights, no batch norm, an all-ones input, in double precision.
  case synflow
}

/// A zero-cost score and its spread over repeats (Zen-score averages 32 draws).
public struct ZeroCostScore: Codable, Hashable, Sendable {
  public var value: Double
  public var standardDeviation: Double
  public var repeats: Int
}

/// Settings of the zero-cost scores.
public struct ZeroCostSettings: Codable, Hashable, Sendable {
  /// Zen-score: batch, repeats and perturbation size (the paper's defaults 16, 32, 0.01).
  public var zenBatch: Int
  public var zenRepeats: Int
  public var zenGamma: Double
  /// NASWOT: images per batch (the paper's default 128).
  public var naswotBatch: Int
  public var seed: UInt64

  public init(zenBatch: Int = 16, zenRepeats: Int = 32, zenGamma: Double = 0.01, naswotBatch: Int = 128, seed: UInt64 = 0) {
    self.zenBatch = zenBatch
    self.zenRepeats = zenRepeats
    self.zenGamma = zenGamma
    self.naswotBatch = naswotBatch
    self.seed = seed
  }
}

public enum ZeroCostScores {
  /// Scores `architecture` as it is (callers pass the proxy network). NASWOT needs `data`
  /// (its images must have the architecture's input shape).
  public static func score(
    _ proxy: ZeroCostProxy, _ architecture: Architecture, data: Dataset?, settings: ZeroCostSettings = ZeroCostSettings(),
    threads: Int = 2
  ) throws(TrainError) -> ZeroCostScore {
    BLASThreads.set(1)
    switch proxy {
    case .zen: return try zen(architecture, settings: settings, threads: threads)
    case .naswot:
      guard let data else { throw .invalidSetting("NASWOT scores a batch of real images; no data set was given") }
      return try naswot(architecture, data: data, settings: settings, threads: threads)
    case .synflow: return try synflow(architecture, threads: threads)
    }
  }

  static func zen(_ arch: Architecture, settings: ZeroCostSettings, threads: Int) throws(TrainError) -> ZeroCostScore {
    guard settings.zenBatch >= 2, settings.zenRepeats >= 1, settings.zenGamma > 0 else {
      throw .invalidSetting("Zen-score needs a batch of at least 2, at least one repeat and a positive gamma")
    }
    let net = try Network<Float>(arch, seed: settings.seed, threads: threads)
    let b = settings.zenBatch
    let n = b * arch.inputShape.elements
    let x = Buffer<Float>(count: n), mixed = Buffer<Float>(count: n)
    var rng = SeededGenerator(seed: settings.seed &+ 0x2E4)
    var scores: [Double] = []
    let ctx = RunContext<Float>(threads: threads, normalization: .batchStatistics, updateRunningStatistics: false, dropout: false)
    for _ in 0..<settings.zenRepeats {
      net.initializeGaussian(&rng)
      for i in 0..<n {
        let v = Float(rng.normal())
        x.pointer[i] = v
        mixed.pointer[i] = v + Float(settings.zenGamma * rng.normal())
      }
      let f1 = net.forward(net.input(from: x.pointer, batch: b), ctx, stopBeforePool: true)
      let first = Array(UnsafeBufferPointer(start: f1.pointer, count: f1.count))
      // The batch-norm scaling uses the clean pass's batch variances.
      let logScaling = net.batchNormVarianceMeans(beforePool: true).reduce(0.0) { $0 + 0.5 * Foundation.log(max($1, 1e-30)) }
      let f2 = net.forward(net.input(from: mixed.pointer, batch: b), ctx, stopBeforePool: true)
      var delta = 0.0
      for i in 0..<first.count { delta += Double(abs(first[i] - f2.pointer[i])) }
      delta /= Double(b)
      guard delta > 0, delta.isFinite else { throw .invalidSetting("Zen-score: the features did not change under perturbation (dead network)") }
      scores.append(Foundation.log(delta) + logScaling)
    }
    return summary(scores)
  }

  static func naswot(_ arch: Architecture, data: Dataset, settings: ZeroCostSettings, threads: Int) throws(TrainError) -> ZeroCostScore {
    guard data.height == arch.inputSize, data.width == arch.inputSize, data.channels == arch.inputChannels else {
      throw .invalidSetting("NASWOT: images are \(data.height)x\(data.width)x\(data.channels), the network takes \(arch.inputShape)")
    }
    let b = min(settings.naswotBatch, data.count)
    guard b >= 2 else { throw .invalidSetting("NASWOT needs a batch of at least 2 images") }
    let net = try Network<Float>(arch, seed: settings.seed, threads: threads)
    var order = Array(0..<data.count)
    var rng = SeededGenerator(seed: settings.seed &+ 0x3A5)
    rng.shuffle(&order)
    let x = Buffer<Float>(count: b * data.sampleSize)
    let labels = UnsafeMutablePointer<Int32>.allocate(capacity: b)
    defer { labels.deallocate() }
    data.gather(order[0..<b], into: x.pointer, labels: labels)
    let kernel = NASWOTKernel(batch: b)
    var ctx = RunContext<Float>(threads: threads, normalization: .batchStatistics, updateRunningStatistics: false, dropout: false)
    ctx.observer = { activation, pre, batch, rows, channels, scale, shift in
      kernel.add(activation, pre, batch: batch, rows: rows, channels: channels, scale: scale, shift: shift)
    }
    _ = net.forward(net.input(from: x.pointer, batch: b), ctx)
    guard kernel.units > 0 else {
      throw .invalidSetting("NASWOT: the network has no rectifier-like activation (ReLU, ReLU6, h-swish, swish, GELU) to code")
    }
    guard let logDet = LinearAlgebra.logAbsDeterminant(kernel.matrix, size: b) else {
      throw .invalidSetting("NASWOT: the activation-code kernel is singular (two images share every code)")
    }
    return ZeroCostScore(value: logDet, standardDeviation: 0, repeats: 1)
  }

  static func synflow(_ arch: Architecture, threads: Int) throws(TrainError) -> ZeroCostScore {
    let net = try Network<Double>(arch, seed: 0, threads: threads)
    for p in net.parameters {
      let v = p.value.pointer
      for i in 0..<p.count { v[i] = abs(v[i]) }
    }
    let ones = [Double](repeating: 1, count: arch.inputShape.elements)
    let ctx = RunContext<Double>(threads: threads, normalization: .bypass, updateRunningStatistics: false, dropout: false)
    let out = ones.withUnsafeBufferPointer { net.forward(net.input(from: $0.baseAddress!, batch: 1), ctx) }
    let g = Buffer<Double>(count: out.count)
    for i in 0..<out.count { g.pointer[i] = 1 }
    net.zeroGradients()
    net.backward(Tensor(buffer: g, batch: 1, height: out.height, width: out.width, channels: out.channels), ctx)
    var score = 0.0
    for p in net.parameters where p.kind == .weight {
      for i in 0..<p.count { score += abs(p.value.pointer[i] * p.gradient.pointer[i]) }
    }
    guard score.isFinite else { throw .invalidSetting("synflow overflowed double precision for this network") }
    return ZeroCostScore(value: score, standardDeviation: 0, repeats: 1)
  }

  static func summary(_ values: [Double]) -> ZeroCostScore {
    let mean = values.reduce(0, +) / Double(max(1, values.count))
    let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(1, values.count))
    return ZeroCostScore(value: mean, standardDeviation: variance.squareRoot(), repeats: values.count)
  }
}

/// Accumulates NASWOT's kernel K[i, j] = number of units on which images i and j have the same
/// binary code (pre-activation > 0), over every rectifier-like activation.
final class NASWOTKernel: @unchecked Sendable {
  let batch: Int
  var matrix: [Double]
  private(set) var units = 0

  init(batch: Int) {
    self.batch = batch
    matrix = [Double](repeating: 0, count: batch * batch)
  }

  static func counts(_ a: Activation) -> Bool { [.relu, .relu6, .hswish, .swish, .gelu].contains(a) }

  func add(
    _ activation: Activation, _ pre: UnsafePointer<Float>, batch b: Int, rows: Int, channels: Int,
    scale: UnsafePointer<Float>?, shift: UnsafePointer<Float>?
  ) {
    guard Self.counts(activation), b == batch else { return }
    let perSample = rows / b * channels
    // ±1 codes; for ±1 vectors s·t = agreements − disagreements, so agreements = (s·t + F)/2.
    // The products are integers below 2^24, exact in single precision.
    let codes = UnsafeMutablePointer<Float>.allocate(capacity: b * perSample)
    defer { codes.deallocate() }
    for r in 0..<rows {
      for c in 0..<channels {
        var v = pre[r * channels + c]
        if let scale { v *= scale[c] }
        if let shift { v += shift[c] }
        codes[r * channels + c] = v > 0 ? 1 : -1
      }
    }
    let gram = UnsafeMutablePointer<Float>.allocate(capacity: b * b)
    defer { gram.deallocate() }
    Float.gemm(
      transA: false, transB: true, m: b, n: b, k: perSample, alpha: 1, a: codes, lda: perSample, b: codes, ldb: perSample,
      beta: 0, c: gram, ldc: b)
    for i in 0..<(b * b) { matrix[i] += (Double(gram[i]) + Double(perSample)) / 2 }
    units += perSample
  }
}

enum LinearAlgebra {
  /// log|det A| of a square matrix (row-major) by LU with partial pivoting; nil when singular.
  static func logAbsDeterminant(_ a: [Double], size n: Int) -> Double? {
    var m = a
    var total = 0.0
    for k in 0..<n {
      var pivot = k
      for i in (k + 1)..<max(k + 1, n) where abs(m[i * n + k]) > abs(m[pivot * n + k]) { pivot = i }
      let p = m[pivot * n + k]
      guard abs(p) > 1e-300, p.isFinite else { return nil }
      if pivot != k { for j in 0..<n { m.swapAt(k * n + j, pivot * n + j) } }
      total += Foundation.log(abs(p))
      for i in (k + 1)..<max(k + 1, n) {
        let f = m[i * n + k] / p
        if f == 0 { continue }
        for j in k..<n { m[i * n + j] -= f * m[k * n + j] }
      }
    }
    return total
  }
}

extension Network {
  /// Zen-score's initialisation: convolution and linear weights N(0, 1), biases 0, batch norm
  /// γ = 1 and β = 0.
  func initializeGaussian(_ rng: inout SeededGenerator) {
    for p in parameters {
      let v = p.value.pointer
      switch p.kind {
      case .weight: for i in 0..<p.count { v[i] = T(rng.normal()) }
      case .bias, .normShift, .runningMean: v.update(repeating: 0, count: p.count)
      case .normScale, .runningVariance: v.update(repeating: 1, count: p.count)
      }
    }
  }

  /// Mean batch variance of each convolution's batch norm in the last training pass, in order,
  /// stopping at the first global pooling when `beforePool`.
  func batchNormVarianceMeans(beforePool: Bool) -> [Double] {
    var out: [Double] = []
    for s in segments {
      for m in s.modules {
        if beforePool && m.isPool { return out }
        if case .conv(let c) = m, let norm = c.norm { out.append(norm.lastBatchVarianceMean) }
      }
    }
    return out
  }
}
