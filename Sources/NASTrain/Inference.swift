import NASArch
import NASSupport

/// Why an inference request cannot run.
public enum InferenceError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The input is not an [N, C, H, W] batch of the network's input size.
  case inputShape(got: [Int], expected: [Int])
  /// A requested unit index the architecture does not have.
  case noSuchUnit(Int, unitCount: Int)
  /// Weights recorded for neither the architecture nor its proxy.
  case weightsForAnotherArchitecture(file: String, weights: String, architecture: String)
  /// The architecture does not build a network.
  case invalidArchitecture(String)

  public var description: String {
    switch self {
    case .inputShape(let got, let expected):
      let want = expected.dropFirst().map(String.init).joined(separator: ", ")
      return "the input has shape \(got) but the network takes [N, \(want)] (N images, channels first, float32)"
    case .noSuchUnit(let u, let count):
      return "unit \(u) does not exist: the architecture has units 0 to \(count - 1) (see nas arch info)"
    case .weightsForAnotherArchitecture(let file, let weights, let architecture):
      return "\(file): these weights were trained for \(weights), not for \(architecture) or its proxy; pass the architecture they belong to, or its own weights"
    case .invalidArchitecture(let m):
      return "invalid architecture: \(m)"
    }
  }
}

/// The outputs of one inference pass, channels first as PyTorch and ONNX give them.
public struct InferenceResult: Equatable, Sendable {
  /// The classifier's outputs, [N, classes].
  public var logits: NumpyArray
  /// Each requested unit's output (after its residual), [N, C, H, W], by unit index.
  public var units: [Int: NumpyArray]
}

extension Architecture {
  /// The input an inference batch of `batch` images has: [N, C, H, W].
  public func inferenceInputShape(batch: Int) -> [Int] { [batch, inputChannels, inputSize, inputSize] }

  /// Checks that `shape` is a non-empty [N, C, H, W] batch of this network's input and that
  /// every unit index exists, so a command can refuse a request before any work.
  public func checkInference(inputShape shape: [Int], units requested: [Int]) throws(InferenceError) {
    guard shape.count == 4, shape[0] >= 1, Array(shape.dropFirst()) == Array(inferenceInputShape(batch: 1).dropFirst()) else {
      throw .inputShape(got: shape, expected: inferenceInputShape(batch: max(1, shape.first ?? 1)))
    }
    if let bad = requested.first(where: { !units.indices.contains($0) }) { throw .noSuchUnit(bad, unitCount: units.count) }
  }
}

extension WeightSet {
  /// Which network these weights (read from `file`) belong to, given the deployment
  /// `architecture`: nil when it is the architecture itself, the canonical text of the
  /// network they were trained for when it is its proxy (the trained network's hash differs
  /// but `nas.deployment_hash` names `architecture`); any other weights are an error naming both.
  public func trainedArchitectureText(for architecture: Architecture, file: String) throws(InferenceError) -> String? {
    if architectureHash == architecture.canonicalHash { return nil }
    // TrainEvaluator records the deployment architecture beside a proxy's weights.
    if metadata["nas.deployment_hash"] == architecture.canonicalHash, let text = metadata[Self.architectureTextKey] { return text }
    let recorded = metadata[Self.architectureTextKey].flatMap { text in
      text.split(separator: "\n").first { $0.hasPrefix("name ") }.map { String($0.dropFirst(5)) }
    }
    let hash = architectureHash.map { " (\($0.prefix(12)))" } ?? ""
    throw .weightsForAnotherArchitecture(
      file: file, weights: (recorded ?? "another architecture") + hash,
      architecture: "\(architecture.name ?? "this architecture") (\(architecture.shortHash))")
  }
}

extension Network where T == Float {
  /// Runs `input` ([N, C, H, W], float32, C order) through the network in inference mode
  /// (batch norm with its running statistics, no dropout), `chunk` images at a time, and
  /// returns the logits and the outputs of `units` (indices into `architecture.units`), all
  /// channels first. The result does not depend on `chunk`: images never interact in
  /// inference mode.
  public func infer(_ images: NumpyArray, units requested: [Int] = [], chunk: Int = 32) throws(InferenceError) -> InferenceResult {
    try architecture.checkInference(inputShape: images.shape, units: requested)
    let n = images.shape[0]
    let c = inputShape.channels, h = inputShape.height, w = inputShape.width
    let step = max(1, min(chunk, n))
    let wanted = Set(requested)
    let nhwc = Buffer<Float>(count: step * inputShape.elements)
    var logits: [Float] = []
    logits.reserveCapacity(n * outputShape.elements)
    var maps: [Int: (shape: [Int], values: [Float])] = [:]
    BLASThreads.set(1)
    let ctx = RunContext<Float>.inference(threads: threads)
    images.values.withUnsafeBufferPointer { x in
      var start = 0
      while start < n {
        let count = min(step, n - start)
        for i in 0..<count {
          Layout.toNHWC(x.baseAddress! + (start + i) * c * h * w, nhwc.pointer + i * c * h * w, channels: c, pixels: h * w)
        }
        let out = forward(input(from: nhwc.pointer, batch: count), ctx) { unit, t in
          guard wanted.contains(unit) else { return }
          // Buffers are reused by the next chunk: copy out now, transposed to channels first.
          if maps[unit] == nil {
            maps[unit] = ([n, t.channels, t.height, t.width], [Float](repeating: 0, count: n * t.perSample))
          }
          maps[unit]!.values.withUnsafeMutableBufferPointer { dst in
            for i in 0..<count {
              Layout.toNCHW(
                t.pointer + i * t.perSample, dst.baseAddress! + (start + i) * t.perSample, channels: t.channels, pixels: t.height * t.width)
            }
          }
        }
        // The classifier's output is 1×1×classes: NHWC and NCHW agree.
        logits.append(contentsOf: UnsafeBufferPointer(start: out.pointer, count: count * out.perSample))
        start += count
      }
    }
    var result = InferenceResult(logits: Self.array([n, logits.count / n], logits), units: [:])
    for (unit, map) in maps { result.units[unit] = Self.array(map.shape, map.values) }
    return result
  }

  /// An array whose shape was built from its own count.
  private static func array(_ shape: [Int], _ values: [Float]) -> NumpyArray {
    do { return try NumpyArray(shape: shape, values: values) } catch { fatalError("inference built \(error)") }
  }
}

/// Channels-last ↔ channels-first copies of one image.
enum Layout {
  static func toNHWC(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, channels: Int, pixels: Int) {
    for ch in 0..<channels {
      for p in 0..<pixels { dst[p * channels + ch] = src[ch * pixels + p] }
    }
  }

  static func toNCHW(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, channels: Int, pixels: Int) {
    for p in 0..<pixels {
      for ch in 0..<channels { dst[ch * pixels + p] = src[p * channels + ch] }
    }
  }
}
