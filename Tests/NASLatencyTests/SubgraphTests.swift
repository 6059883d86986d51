import NASArch
import NASSupport
import XCTest

@testable import NASLatency

/// XNNPACK subgraphs against the naive reference on random data and random folded weights.
final class SubgraphTests: XCTestCase {
  func check(_ units: [NASArch.Unit], input: Shape, seed: UInt64 = 7, file: StaticString = #filePath, line: UInt = #line) throws {
    var placed: [PlacedUnit] = []
    var shape = input
    for (i, u) in units.enumerated() {
      let p = try u.place(input: shape, index: i)
      placed.append(p)
      shape = p.output
    }
    var gen = ParameterGenerator(seed: seed)
    let params = gen.parameters(for: placed)
    let x = (0..<input.elements).map { _ in Float(gen.rng.unitDouble() * 2 - 1) }
    let network = try XNNPACKNetwork(units: placed, parameters: params, context: "test")
    network.setInput(x)
    try network.run()
    let got = network.outputValues
    let want = NaiveReference.forward(placed, params, x)
    XCTAssertEqual(got.count, want.count, file: file, line: line)
    let scale = max(1e-3, want.map { abs($0) }.max() ?? 0)
    var worst: Float = 0
    for (g, w) in zip(got, want) { worst = max(worst, abs(g - w)) }
    XCTAssertLessThan(worst / scale, 2e-4, "max abs error \(worst) against output scale \(scale)", file: file, line: line)
  }

  func testStemConvolutionsWithFusedActivations() throws {
    for act in [Activation.relu, .relu6, .none, .hswish, .swish, .gelu, .sigmoid, .hsigmoid] {
      try check([Unit(role: .stem, op: .conv, kernel: 3, stride: 2, outChannels: 8, activation: act)], input: Shape(square: 9, channels: 3))
    }
  }

  func testDepthwiseSeparableWithPointwiseActivation() throws {
    try check(
      [Unit(role: .block, op: .sepconv, kernel: 5, stride: 2, outChannels: 12, activation: .relu6, pwActivation: .relu6)],
      input: Shape(square: 11, channels: 8))
    try check(
      [Unit(role: .block, op: .sepconv, kernel: 3, stride: 1, outChannels: 8, activation: .swish, residual: true)],
      input: Shape(square: 7, channels: 8))
  }

  func testInvertedResidualWithSqueezeExciteAndResidual() throws {
    let se = UnitSqueezeExcite(squeezeChannels: 6, gate: .hsigmoid, activation: .relu)
    try check(
      [Unit(role: .block, op: .mbconv, kernel: 5, stride: 1, outChannels: 16, midChannels: 40, squeezeExcite: se, activation: .hswish, residual: true)],
      input: Shape(square: 8, channels: 16))
    let sigmoidSE = UnitSqueezeExcite(squeezeChannels: 4, gate: .sigmoid, activation: .swish)
    try check(
      [Unit(role: .block, op: .mbconv, kernel: 3, stride: 2, outChannels: 24, midChannels: 48, squeezeExcite: sigmoidSE, activation: .relu)],
      input: Shape(square: 9, channels: 16))
    // No expansion convolution when mid equals the input.
    try check(
      [Unit(role: .block, op: .mbconv, kernel: 3, stride: 1, outChannels: 16, midChannels: 16, activation: .relu, residual: true)],
      input: Shape(square: 6, channels: 16))
  }

  func testRepViTBlocksWithGELUApproximation() throws {
    let se = UnitSqueezeExcite(squeezeChannels: 8, gate: .sigmoid, activation: .relu)
    try check(
      [Unit(role: .block, op: .repvit, kernel: 3, outChannels: 16, midChannels: 32, squeezeExcite: se, normalization: .foldedBatchNorm)],
      input: Shape(square: 6, channels: 16))
    try check(
      [Unit(role: .block, op: .repvitDown, kernel: 3, stride: 2, outChannels: 24, midChannels: 48, normalization: .foldedBatchNorm)],
      input: Shape(square: 7, channels: 16))
  }

  func testWholeNetworkWithPooledHeadAndClassifier() throws {
    let units: [NASArch.Unit] = [
      Unit(role: .stem, op: .conv, kernel: 3, stride: 2, outChannels: 8, activation: .hswish),
      Unit(role: .block, op: .mbconv, kernel: 3, stride: 1, outChannels: 8, midChannels: 16, activation: .relu, residual: true),
      Unit(role: .head, op: .conv, kernel: 1, outChannels: 24, activation: .hswish),
      Unit(role: .head, op: .pool),
      Unit(role: .head, op: .conv, kernel: 1, outChannels: 32, activation: .hswish, normalization: .none),
      Unit(role: .classifier, op: .classifier, outChannels: 10, normalization: .batchNorm, dropout: 0.2),
    ]
    try check(units, input: Shape(square: 12, channels: 3))
  }

  func testBatchNormFoldingMatchesConvolutionThenNormalization() {
    var gen = ParameterGenerator(seed: 3)
    let c = ConvLayer(kernel: 3, stride: 1, inChannels: 4, outChannels: 5, activation: .none)
    let input = Shape(square: 5, channels: 4)
    let w = gen.uniform(c.weightCount, 0.5)
    let bn = gen.statistics(5)
    let x = gen.uniform(input.elements, 1)
    let zero = [Float](repeating: 0, count: 5)
    let raw = NaiveReference.conv(c, w, zero, x, input, input.with(channels: 5))
    let normalized = raw.enumerated().map { i, v in
      let o = i % 5
      return (v - bn.mean[o]) / (bn.variance[o] + bn.epsilon).squareRoot() * bn.gamma[o] + bn.beta[o]
    }
    let folded = BatchNormFolding.foldAfter(weights: w, outChannels: 5, bn: bn)
    let direct = NaiveReference.conv(c, folded.weights, folded.bias, x, input, input.with(channels: 5))
    for (a, b) in zip(normalized, direct) { XCTAssertEqual(a, b, accuracy: 1e-4) }
    // Before a fully connected layer.
    let fw = gen.uniform(3 * 5, 0.5), fb = gen.uniform(3, 0.1), v = gen.uniform(5, 1)
    let bn2 = gen.statistics(5)
    let nv = (0..<5).map { (v[$0] - bn2.mean[$0]) / (bn2.variance[$0] + bn2.epsilon).squareRoot() * bn2.gamma[$0] + bn2.beta[$0] }
    let f = BatchNormFolding.foldBefore(weights: fw, bias: fb, inFeatures: 5, bn: bn2)
    let a = NaiveReference.linear(fw, fb, nv, out: 3, act: .none)
    let b = NaiveReference.linear(f.weights, f.bias, v, out: 3, act: .none)
    for (p, q) in zip(a, b) { XCTAssertEqual(p, q, accuracy: 1e-4) }
  }

  func testMultiThreadedRunGivesTheSameOutput() throws {
    let unit = Unit(role: .block, op: .mbconv, kernel: 3, stride: 1, outChannels: 16, midChannels: 64, activation: .relu6, residual: true)
    let one = try XNNPACKNetwork(unit: unit, input: Shape(square: 14, channels: 16), seed: 5, threads: 1)
    let two = try XNNPACKNetwork(unit: unit, input: Shape(square: 14, channels: 16), seed: 5, threads: 2)
    try one.run()
    try two.run()
    for (a, b) in zip(one.outputValues, two.outputValues) { XCTAssertEqual(a, b, accuracy: 1e-4) }
  }

  func testInvalidUnitIsAnErrorNotATrap() {
    let unit = Unit(role: .block, op: .mbconv, kernel: 3, stride: 2, outChannels: 16, midChannels: 32, residual: true)
    XCTAssertThrowsError(try XNNPACKNetwork(unit: unit, input: Shape(square: 8, channels: 16))) { error in
      XCTAssertTrue("\(error)".contains("identity skip"), "\(error)")
    }
  }
}

extension Shape {
  func with(channels: Int) -> Shape { Shape(height: height, width: width, channels: channels) }
}
