import NASArch
import NASSupport
import XCTest

@testable import NASTrain

/// Every layer the lowering can produce, checked against finite differences.
final class GradientCheckTests: XCTestCase {
  func arch(_ body: [NASArch.Unit], input: Int = 6, channels: Int = 3, classes: Int = 3, head: [NASArch.Unit]? = nil) -> Architecture {
    let tail = head ?? [NASArch.Unit(role: .head, op: .pool), NASArch.Unit(role: .classifier, op: .classifier, outChannels: classes)]
    return Architecture(inputSize: input, inputChannels: channels, classes: classes, units: body + tail)
  }

  /// Checks `a` on every instruction set of the engine's kernels this machine can run.
  func check(_ a: Architecture, batch: Int = 3, file: StaticString = #filePath, line: UInt = #line) throws {
    let original = EngineKernels.selected
    defer { try? EngineKernels.select(original) }
    for isa in EngineKernels.available {
      try EngineKernels.select(isa)
      var g = try GradientCheck(a, batch: batch)
      let failures = g.run()
      XCTAssert(failures.isEmpty, "\(isa) kernels: " + failures.prefix(8).joined(separator: "\n"), file: file, line: line)
    }
  }

  func testStandardConvWithBatchNormAndEachActivation() throws {
    for act in Activation.layerActivations {
      try check(arch([NASArch.Unit(role: .stem, op: .conv, kernel: 3, stride: 1, outChannels: 4, activation: act)]))
    }
  }

  func testStridedConvAndKernelFive() throws {
    try check(
      arch([
        NASArch.Unit(role: .stem, op: .conv, kernel: 3, stride: 2, outChannels: 5, activation: .relu),
        NASArch.Unit(role: .block, op: .conv, kernel: 5, stride: 1, outChannels: 3, activation: .hswish),
      ], input: 7))
  }

  func testPointwiseAndBiasConvolution() throws {
    try check(
      arch([
        NASArch.Unit(role: .stem, op: .conv, kernel: 1, stride: 1, outChannels: 4, activation: .relu6),
        NASArch.Unit(role: .block, op: .conv, kernel: 3, stride: 1, outChannels: 4, activation: .swish, normalization: .none),
      ]))
  }

  func testDepthwiseSeparableStridedAndResidual() throws {
    try check(
      arch([
        NASArch.Unit(role: .stem, op: .conv, kernel: 3, stride: 1, outChannels: 10, activation: .relu),
        NASArch.Unit(role: .block, op: .sepconv, kernel: 3, stride: 2, outChannels: 10, activation: .relu6),
        NASArch.Unit(role: .block, op: .sepconv, kernel: 5, stride: 1, outChannels: 10, activation: .hswish, residual: true),
      ], input: 7))
  }

  /// Channel counts wide enough for every vector block of the depthwise and activation kernels
  /// (four and one registers, then the scalar tail) in double precision.
  func testWideInvertedResidualReachesEveryVectorBlock() throws {
    try check(
      arch([
        NASArch.Unit(role: .stem, op: .conv, kernel: 3, stride: 1, outChannels: 6, activation: .relu6),
        NASArch.Unit(role: .block, op: .mbconv, kernel: 5, stride: 2, outChannels: 6, midChannels: 45, activation: .hswish),
        NASArch.Unit(role: .block, op: .mbconv, kernel: 3, stride: 1, outChannels: 6, midChannels: 43, activation: .relu, residual: true),
      ], input: 7), batch: 2)
  }

  func testInvertedResidualWithSqueezeExcite() throws {
    for gate in Activation.gates {
      try check(
        arch([
          NASArch.Unit(role: .stem, op: .conv, kernel: 3, stride: 1, outChannels: 4, activation: .hswish),
          NASArch.Unit(
            role: .block, op: .mbconv, kernel: 3, stride: 1, outChannels: 4, midChannels: 9,
            squeezeExcite: UnitSqueezeExcite(squeezeChannels: 3, gate: gate, activation: .relu), activation: .hswish,
            residual: true),
          NASArch.Unit(role: .block, op: .mbconv, kernel: 5, stride: 2, outChannels: 6, midChannels: 12, activation: .relu),
        ]))
    }
  }

  func testPooledHeadConvWithoutBatchNormAndClassifierWithDropout() throws {
    try check(
      arch(
        [NASArch.Unit(role: .stem, op: .conv, kernel: 3, stride: 2, outChannels: 6, activation: .relu)],
        head: [
          NASArch.Unit(role: .head, op: .pool),
          NASArch.Unit(role: .head, op: .conv, kernel: 1, stride: 1, outChannels: 7, activation: .hswish, normalization: .none),
          NASArch.Unit(role: .classifier, op: .classifier, outChannels: 3, normalization: .none, dropout: 0.3),
        ]), batch: 4)
  }

  func testRepViTBlocksAndClassifierBatchNorm() throws {
    try check(
      arch(
        [
          NASArch.Unit(role: .stem, op: .conv, kernel: 3, stride: 1, outChannels: 4, activation: .gelu),
          NASArch.Unit(
            role: .block, op: .repvit, kernel: 3, stride: 1, outChannels: 4, midChannels: 8,
            squeezeExcite: UnitSqueezeExcite(squeezeChannels: 2, gate: .sigmoid, activation: .relu)),
          NASArch.Unit(role: .block, op: .repvitDown, kernel: 3, stride: 2, outChannels: 6, midChannels: 12),
        ],
        head: [
          NASArch.Unit(role: .head, op: .pool),
          NASArch.Unit(role: .classifier, op: .classifier, outChannels: 3, normalization: .batchNorm),
        ]), batch: 4)
  }

  func testFoldedBatchNormTrainsAsBatchNorm() throws {
    try check(
      arch([
        NASArch.Unit(
          role: .stem, op: .conv, kernel: 3, stride: 1, outChannels: 4, activation: .relu, normalization: .foldedBatchNorm)
      ]))
  }

  func testGroupedConvolutionModule() throws {
    // The lowering produces only dense and depthwise convolutions; grouped ones (and depthwise
    // with a channel multiplier) run through the per-group im2col path, checked here directly.
    for (cin, cout, groups) in [(4, 6, 2), (3, 6, 3)] {
      let layer = ConvLayer(kernel: 3, stride: 2, inChannels: cin, outChannels: cout, groups: groups, activation: .relu)
      let m = ConvModule<Double>(layer, input: Shape(square: 5, channels: cin), unit: 0, prefix: "g")
      var rng = SeededGenerator(seed: 3)
      for p in m.parameters where p.kind.isTrainable { for i in 0..<p.count { p[pytorchIndex: i] = rng.normal() } }
      let n = 2
      let xb = Buffer<Double>(count: n * 25 * cin)
      for i in 0..<xb.count { xb.pointer[i] = rng.normal() }
      let x = Tensor(buffer: xb, batch: n, height: 5, width: 5, channels: cin)
      let ctx = RunContext<Double>(threads: 2, normalization: .batchStatistics, updateRunningStatistics: false, dropout: false)
      let y0 = m.forward(x, ctx)
      let r = (0..<y0.count).map { _ in rng.normal() }
      func loss() -> Double {
        let y = m.forward(x, ctx)
        return (0..<y.count).reduce(0) { $0 + r[$1] * y.pointer[$1] }
      }
      for p in m.parameters where p.kind.isTrainable { p.gradient.zero() }
      let y = m.forward(x, ctx)
      let gb = Buffer<Double>(count: y.count)
      for i in 0..<y.count { gb.pointer[i] = r[i] }
      let dx = m.backward(Tensor(buffer: gb, batch: n, height: y.height, width: y.width, channels: y.channels), ctx, inputGradient: true)!
      let analyticDx = Array(UnsafeBufferPointer(start: dx.pointer, count: x.count))
      let w = m.weight
      let analyticW = w.gradients()
      for i in stride(from: 0, to: w.count, by: 5) {
        let s = w[pytorchIndex: i]
        w[pytorchIndex: i] = s + 1e-5
        let up = loss()
        w[pytorchIndex: i] = s - 1e-5
        let down = loss()
        w[pytorchIndex: i] = s
        XCTAssert(GradientCheck.close((up - down) / 2e-5, analyticW[i]), "weight[\(i)] groups \(groups)")
      }
      for i in stride(from: 0, to: x.count, by: 7) {
        let s = xb.pointer[i]
        xb.pointer[i] = s + 1e-5
        let up = loss()
        xb.pointer[i] = s - 1e-5
        let down = loss()
        xb.pointer[i] = s
        XCTAssert(GradientCheck.close((up - down) / 2e-5, analyticDx[i]), "input[\(i)] groups \(groups)")
      }
    }
  }
}
