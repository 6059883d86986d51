import NASArch
import NASSupport
import XCTest

@testable import NASTrain

/// Central finite differences against back-propagation, in double precision.
///
/// The loss is a fixed random projection of the logits, L = Σ r·y, so every output carries
/// gradient; batch norm runs in training mode (batch statistics) without touching its
/// running statistics, and dropout draws the same mask on every pass.
struct GradientCheck {
  let network: Network<Double>
  let batch: Int
  var input: [Double]
  let projection: [Double]
  let seed: UInt64 = 99

  init(_ arch: Architecture, batch: Int = 3, seed: UInt64 = 1) throws {
    network = try Network<Double>(arch, seed: seed, threads: 2)
    self.batch = batch
    var rng = SeededGenerator(seed: seed &+ 7)
    // Trained-looking weights: larger than initialisation so no layer is negligible.
    for p in network.parameters where p.kind == .weight || p.kind == .bias || p.kind == .normShift {
      for i in 0..<p.count { p[pytorchIndex: i] = rng.normal() * 0.5 }
    }
    for p in network.parameters where p.kind == .normScale {
      for i in 0..<p.count { p[pytorchIndex: i] = 0.5 + rng.unitDouble() }
    }
    input = (0..<(batch * arch.inputShape.elements)).map { _ in rng.normal() }
    projection = (0..<(batch * arch.classes)).map { _ in rng.normal() }
  }

  var context: RunContext<Double> {
    RunContext(threads: 2, normalization: .batchStatistics, updateRunningStatistics: false, dropout: true, dropoutSeed: seed)
  }

  func loss() -> Double {
    let out = input.withUnsafeBufferPointer { network.forward(network.input(from: $0.baseAddress!, batch: batch), context) }
    var l = 0.0
    for i in 0..<projection.count { l += projection[i] * out.pointer[i] }
    return l
  }

  /// Runs backward and returns the input gradient.
  func backpropagate() -> [Double] {
    network.zeroGradients()
    let out = input.withUnsafeBufferPointer { network.forward(network.input(from: $0.baseAddress!, batch: batch), context) }
    let g = Buffer<Double>(count: projection.count)
    for i in 0..<projection.count { g.pointer[i] = projection[i] }
    let grad = Tensor(buffer: g, batch: out.batch, height: out.height, width: out.width, channels: out.channels)
    let dx = network.backward(grad, context, inputGradient: true)!
    return Array(UnsafeBufferPointer(start: dx.pointer, count: input.count))
  }

  static func close(_ a: Double, _ b: Double) -> Bool {
    abs(a - b) <= 1e-6 + 1e-5 * max(abs(a), abs(b))
  }

  /// Checks up to `perTensor` entries of every trainable tensor and of the input; returns
  /// the failures as text (empty when all agree).
  mutating func run(perTensor: Int = 5, file: StaticString = #filePath, line: UInt = #line) -> [String] {
    let inputGradient = backpropagate()
    var analytic: [String: [Double]] = [:]
    for p in network.parameters where p.kind.isTrainable { analytic[p.name] = p.gradients() }
    var failures: [String] = []
    let h = 1e-5
    var rng = SeededGenerator(seed: 5)
    for p in network.parameters where p.kind.isTrainable {
      let picks = p.count <= perTensor ? Array(0..<p.count) : (0..<perTensor).map { _ in rng.uniform(below: p.count) }
      for i in picks {
        let saved = p[pytorchIndex: i]
        p[pytorchIndex: i] = saved + h
        let up = loss()
        p[pytorchIndex: i] = saved - h
        let down = loss()
        p[pytorchIndex: i] = saved
        let numeric = (up - down) / (2 * h)
        let a = analytic[p.name]![i]
        if !Self.close(numeric, a) { failures.append("\(p.name)[\(i)]: numeric \(numeric) analytic \(a)") }
      }
    }
    for _ in 0..<perTensor * 2 {
      let i = rng.uniform(below: input.count)
      let saved = input[i]
      input[i] = saved + h
      let up = loss()
      input[i] = saved - h
      let down = loss()
      input[i] = saved
      let numeric = (up - down) / (2 * h)
      if !Self.close(numeric, inputGradient[i]) { failures.append("input[\(i)]: numeric \(numeric) analytic \(inputGradient[i])") }
    }
    return failures
  }
}
