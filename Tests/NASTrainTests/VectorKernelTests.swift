import CNASKernels
import NASArch
import XCTest

@testable import NASTrain

/// Every instruction set this machine can run, each kernel against a plain scalar reference,
/// at channel counts that reach every vector block and tail.
final class VectorKernelTests: XCTestCase {
  let channelCounts = [1, 3, 8, 13, 16, 24, 40, 64, 72, 96, 131]

  /// Runs `body` once per instruction set this CPU has, restoring the selection afterwards.
  func forEachInstructionSet(_ body: (VectorISA) throws -> Void) throws {
    let original = EngineKernels.selected
    defer { try? EngineKernels.select(original) }
    for isa in EngineKernels.available {
      try EngineKernels.select(isa)
      XCTAssertEqual(EngineKernels.selected, isa)
      try body(isa)
    }
  }

  func values<T: TrainScalar>(_ count: Int, seed: UInt64, _: T.Type = T.self) -> [T] {
    var state = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return (0..<count).map { _ in
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      // Spread over (-8, 8), so every activation's pieces (and -3, 0, 3, 6) are crossed.
      return T(Double(state >> 11) / Double(1 << 53) * 16 - 8)
    }
  }

  /// got[i] within tolerance·magnitude[i] of want[i], where the magnitude is the sum of the
  /// absolute values of the terms that formed want[i] (rounding scales with it, not with the result).
  func assertClose<T: TrainScalar>(
    _ got: [T], _ want: [Double], magnitude: [Double]? = nil, _ what: String, tolerance: Double,
    file: StaticString = #filePath, line: UInt = #line
  ) {
    XCTAssertEqual(got.count, want.count, what, file: file, line: line)
    for i in 0..<min(got.count, want.count) {
      let a = Double(got[i]), b = want[i]
      if !(abs(a - b) <= tolerance * max(1e-3, magnitude?[i] ?? abs(b))) {
        XCTFail("\(what): element \(i) is \(a), expected \(b)", file: file, line: line)
        return
      }
    }
  }

  func testDepthwiseForwardAndBackwardMatchTheReference() throws {
    try forEachInstructionSet { isa in
      try checkDepthwise(Float.self, isa, tolerance: 1e-5)
      try checkDepthwise(Double.self, isa, tolerance: 1e-12)
    }
  }

  func checkDepthwise<T: TrainScalar>(_: T.Type, _ isa: VectorISA, tolerance: Double) throws {
    for (kernel, stride) in [(3, 1), (3, 2), (5, 1), (5, 2)] {
      for C in channelCounts {
        let g = ConvGeometry(height: 5, width: 6, inChannels: C, outChannels: C, kernel: kernel, stride: stride, groups: C)
        let n = 2
        let x: [T] = values(n * g.height * g.width * C, seed: 1)
        let w: [T] = values(kernel * kernel * C, seed: 2)
        let dy: [T] = values(n * g.outPixels * C, seed: 3)
        var y = [T](repeating: 0, count: dy.count)
        var dx = [T](repeating: 7, count: x.count)
        var dw = [T](repeating: 0, count: w.count)
        DepthwiseKernels.forward(g, x: x, w: w, y: &y, samples: 0..<n)
        DepthwiseKernels.backward(g, x: x, w: w, dy: dy, dx: &dx, dw: &dw, samples: 0..<n)
        // Reference: direct loops over every output, tap and channel.
        var wantY = [Double](repeating: 0, count: y.count), magY = wantY
        var wantDx = [Double](repeating: 0, count: x.count), magDx = wantDx
        var wantDw = [Double](repeating: 0, count: w.count), magDw = wantDw
        for s in 0..<n {
          for oy in 0..<g.outHeight {
            for ox in 0..<g.outWidth {
              for c in 0..<C {
                let o = ((s * g.outHeight + oy) * g.outWidth + ox) * C + c
                for ky in 0..<kernel {
                  for kx in 0..<kernel {
                    let iy = oy * stride - g.padding + ky, ix = ox * stride - g.padding + kx
                    guard iy >= 0, iy < g.height, ix >= 0, ix < g.width else { continue }
                    let i = ((s * g.height + iy) * g.width + ix) * C + c, q = (ky * kernel + kx) * C + c
                    let (xi, wq, go) = (Double(x[i]), Double(w[q]), Double(dy[o]))
                    wantY[o] += xi * wq
                    wantDx[i] += wq * go
                    wantDw[q] += xi * go
                    magY[o] += abs(xi * wq)
                    magDx[i] += abs(wq * go)
                    magDw[q] += abs(xi * go)
                  }
                }
              }
            }
          }
        }
        let what = "\(isa) \(T.self) depthwise k\(kernel) s\(stride) C=\(C)"
        assertClose(y, wantY, magnitude: magY, what + " forward", tolerance: tolerance)
        assertClose(dx, wantDx, magnitude: magDx, what + " dx", tolerance: tolerance)
        assertClose(dw, wantDw, magnitude: magDw, what + " dw", tolerance: tolerance)
      }
    }
  }

  func testActivationsMatchTheirDefinitions() throws {
    try forEachInstructionSet { isa in
      checkActivations(Float.self, isa, tolerance: 1e-6)
      checkActivations(Double.self, isa, tolerance: 1e-14)
    }
  }

  func checkActivations<T: TrainScalar>(_: T.Type, _ isa: VectorISA, tolerance: Double) {
    func value(_ f: Activation, _ v: Double) -> Double {
      let hsig = min(max(v / 6 + 0.5, 0), 1)
      switch f {
      case .relu: return max(v, 0)
      case .relu6: return min(max(v, 0), 6)
      case .hsigmoid: return hsig
      case .hswish: return v * hsig
      default: return v
      }
    }
    func slope(_ f: Activation, _ v: Double) -> Double {
      switch f {
      case .relu: return v > 0 ? 1 : 0
      case .relu6: return v > 0 && v < 6 ? 1 : 0
      case .hsigmoid: return v > -3 && v < 3 ? 1.0 / 6 : 0
      case .hswish: return v > -3 && v < 3 ? v / 3 + 0.5 : (v > 0 ? 1 : 0)
      default: return 1
      }
    }
    let rows = 5
    for f in [Activation.none, .relu, .relu6, .hsigmoid, .hswish] {
      for C in channelCounts {
        let x: [T] = values(rows * C, seed: 4), g: [T] = values(rows * C, seed: 5)
        let scale: [T] = values(C, seed: 6), shift: [T] = values(C, seed: 7)
        for (useScale, useShift) in [(false, false), (false, true), (true, false), (true, true)] {
          var y = [T](repeating: 0, count: x.count), d = [T](repeating: 0, count: x.count)
          scale.withUnsafeBufferPointer { sc in
            shift.withUnsafeBufferPointer { sh in
              let s = useScale ? sc.baseAddress : nil, b = useShift ? sh.baseAddress : nil
              ActivationKernels.forward(f, x: x, y: &y, rows: rows, channels: C, scale: s, shift: b, threads: 2)
              ActivationKernels.backward(
                f, x: x, gradOutput: g, gradInput: &d, rows: rows, channels: C, scale: s, shift: b, threads: 2)
            }
          }
          var wantY = [Double](), wantD = [Double](), magY = [Double](), magD = [Double]()
          for r in 0..<rows {
            for c in 0..<C {
              let i = r * C + c
              // The pre-activation as the kernels form it (a product and a sum in T).
              var v = x[i]
              if useScale { v = v * scale[c] }
              if useShift { v = v + shift[c] }
              wantY.append(value(f, Double(v)))
              wantD.append(Double(g[i]) * slope(f, Double(v)))
              // The terms of v/6 + 1/2 and of its product with v or g.
              magY.append(abs(Double(v)) * (abs(Double(v)) / 6 + 1) + 1)
              magD.append(abs(Double(g[i])) * (abs(Double(v)) / 3 + 1))
            }
          }
          let what = "\(isa) \(T.self) \(f) C=\(C) scale \(useScale) shift \(useShift)"
          assertClose(y, wantY, magnitude: magY, what + " forward", tolerance: tolerance)
          assertClose(d, wantD, magnitude: magD, what + " backward", tolerance: tolerance)
        }
      }
    }
  }

  func testBatchNormMapsAndChannelSumsMatchTheReference() throws {
    try forEachInstructionSet { isa in
      checkBatchNorm(Float.self, isa, tolerance: 1e-5)
      checkBatchNorm(Double.self, isa, tolerance: 1e-12)
    }
  }

  func checkBatchNorm<T: TrainScalar>(_: T.Type, _ isa: VectorISA, tolerance: Double) {
    let rows = 150  // more than two runs of 64 rows, split over two threads
    for C in channelCounts {
      let x: [T] = values(rows * C, seed: 8), dy: [T] = values(rows * C, seed: 9)
      var mean = [Double](repeating: 0, count: C), variance = [Double](repeating: 0, count: C)
      BatchNormKernels.statistics(x: x, rows: rows, channels: C, threads: 2, mean: &mean, variance: &variance)
      var wantMean = [Double](repeating: 0, count: C), wantVariance = wantMean, magMean = wantMean, magVariance = wantMean
      for c in 0..<C {
        for r in 0..<rows { wantMean[c] += Double(x[r * C + c]) / Double(rows) }
        for r in 0..<rows { magMean[c] += abs(Double(x[r * C + c])) / Double(rows) }
        for r in 0..<rows { wantVariance[c] += pow(Double(x[r * C + c]) - wantMean[c], 2) / Double(rows) }
        magVariance[c] = pow(magMean[c] + abs(wantMean[c]), 2)
      }
      let what = "\(isa) \(T.self) C=\(C)"
      assertClose(mean.map { T($0) }, wantMean, magnitude: magMean, what + " mean", tolerance: tolerance)
      assertClose(variance.map { T($0) }, wantVariance, magnitude: magVariance, what + " variance", tolerance: tolerance)

      let m: [T] = mean.map { T($0) }, invstd: [T] = values(C, seed: 10)
      var normalized = x
      BatchNormKernels.normalize(x: &normalized, rows: rows, channels: C, mean: m, invstd: invstd, threads: 2)
      let wantNormalized = (0..<rows * C).map { i in (Double(x[i]) - Double(m[i % C])) * Double(invstd[i % C]) }
      let magNormalized = (0..<rows * C).map { i in (abs(Double(x[i])) + abs(Double(m[i % C]))) * abs(Double(invstd[i % C])) }
      assertClose(normalized, wantNormalized, magnitude: magNormalized, what + " normalize", tolerance: tolerance)

      let gamma: [T] = values(C, seed: 11)
      var d = dy, dGamma = [T](repeating: 0, count: C), dBeta = [T](repeating: 0, count: C)
      BatchNormKernels.backward(
        xhat: x, dy: &d, rows: rows, channels: C, gamma: gamma, invstd: invstd, dGamma: &dGamma, dBeta: &dBeta, threads: 2)
      var sumDy = [Double](repeating: 0, count: C), sumDyX = sumDy, magDy = sumDy, magDyX = sumDy
      for i in 0..<rows * C {
        sumDy[i % C] += Double(dy[i])
        sumDyX[i % C] += Double(dy[i]) * Double(x[i])
        magDy[i % C] += abs(Double(dy[i]))
        magDyX[i % C] += abs(Double(dy[i]) * Double(x[i]))
      }
      var wantD = [Double](), magD = [Double]()
      for i in 0..<rows * C {
        let c = i % C, M = Double(rows)
        let k = Double(gamma[c]) * Double(invstd[c])
        wantD.append(k * (Double(dy[i]) - sumDy[c] / M - Double(x[i]) * sumDyX[c] / M))
        magD.append(abs(k) * (abs(Double(dy[i])) + magDy[c] / M + abs(Double(x[i])) * magDyX[c] / M))
      }
      assertClose(dGamma, sumDyX, magnitude: magDyX, what + " dGamma", tolerance: tolerance)
      assertClose(dBeta, sumDy, magnitude: magDy, what + " dBeta", tolerance: tolerance)
      assertClose(d, wantD, magnitude: magD, what + " batch-norm backward", tolerance: tolerance)
    }
  }

  func testFusedActivationAndBatchNormBackwardMatchesTheTwoSteps() throws {
    try forEachInstructionSet { isa in
      let rows = 150
      for f in [Activation.relu, .relu6, .hswish, .hsigmoid, .none] {
        for C in channelCounts {
          let xhat: [Float] = values(rows * C, seed: 12), g: [Float] = values(rows * C, seed: 13)
          let gamma: [Float] = values(C, seed: 14), beta: [Float] = values(C, seed: 15), invstd: [Float] = values(C, seed: 16)
          var twoSteps = [Float](repeating: 0, count: rows * C), fused = twoSteps
          var gammaGrad = [Float](repeating: 0, count: C), betaGrad = gammaGrad, fusedGammaGrad = gammaGrad, fusedBetaGrad = gammaGrad
          ActivationKernels.backward(
            f, x: xhat, gradOutput: g, gradInput: &twoSteps, rows: rows, channels: C, scale: gamma, shift: beta, threads: 2)
          BatchNormKernels.backward(
            xhat: xhat, dy: &twoSteps, rows: rows, channels: C, gamma: gamma, invstd: invstd, dGamma: &gammaGrad,
            dBeta: &betaGrad, threads: 2)
          BatchNormKernels.backward(
            through: try XCTUnwrap(f.piecewiseLinearCode), xhat: xhat, gradOutput: g, into: &fused, rows: rows, channels: C,
            gamma: gamma, beta: beta, invstd: invstd, dGamma: &fusedGammaGrad, dBeta: &fusedBetaGrad, threads: 2)
          let what = "\(isa) \(f) C=\(C)"
          // The same operations in the same order: equal up to FMA contraction.
          assertClose(fused, twoSteps.map(Double.init), what + " dx", tolerance: 1e-5)
          assertClose(fusedGammaGrad, gammaGrad.map(Double.init), magnitude: gammaGrad.map { Double(abs($0)) + 1 }, what + " dGamma", tolerance: 1e-5)
          assertClose(fusedBetaGrad, betaGrad.map(Double.init), magnitude: betaGrad.map { Double(abs($0)) + 1 }, what + " dBeta", tolerance: 1e-5)
        }
      }
    }
  }

  /// A network with wide depthwise, squeeze-excite and hard-swish layers, trained a few steps.
  func trainedLoss() throws -> Double {
    let arch = Architecture(
      name: "wide", inputSize: 16, inputChannels: 3, classes: 10,
      units: [
        NASArch.Unit(role: .stem, op: .conv, kernel: 3, stride: 2, outChannels: 24, activation: .hswish),
        NASArch.Unit(
          role: .block, op: .mbconv, kernel: 5, stride: 1, outChannels: 40, midChannels: 120,
          squeezeExcite: UnitSqueezeExcite(squeezeChannels: 32, gate: .hsigmoid), activation: .hswish),
        NASArch.Unit(role: .block, op: .mbconv, kernel: 3, stride: 2, outChannels: 40, midChannels: 72, activation: .relu),
        NASArch.Unit(role: .head, op: .pool),
        NASArch.Unit(role: .classifier, op: .classifier, outChannels: 10),
      ])
    let data = try DataSource(argument: "random:16x16x3").load(validationCount: 1).train.subset(Array(0..<64))
    let network = try Network<Float>(arch, seed: 3, threads: 2)
    let trainer = Trainer(
      network: network, configuration: TrainingConfiguration(epochs: 1, steps: 4, batchSize: 16, learningRate: 0.1, threads: 2))
    return try trainer.train(on: data).finalLoss
  }

  func testEveryInstructionSetTrainsTheSameNetworkToTheSameLossWithinRounding() throws {
    var losses: [VectorISA: Double] = [:]
    try forEachInstructionSet { isa in
      let loss = try trainedLoss()
      XCTAssertTrue(loss.isFinite, "\(isa): loss \(loss)")
      XCTAssertEqual(try trainedLoss(), loss, "\(isa) is not deterministic")
      losses[isa] = loss
    }
    let baseline = try XCTUnwrap(losses[.baseline])
    for (isa, loss) in losses {
      XCTAssertEqual(loss, baseline, accuracy: 1e-4 * abs(baseline), "\(isa) against baseline")
    }
  }

  func testSelectingAnInstructionSetTheCPUDoesNotHaveIsAnError() {
    XCTAssertTrue(EngineKernels.available.contains(.baseline))
    XCTAssertEqual(EngineKernels.available.last, EngineKernels.best)
    XCTAssertThrowsError(try EngineKernels.selectFromEnvironment(["NAS_KERNELS": "sse9"])) { error in
      XCTAssertTrue("\(error)".contains("NAS_KERNELS=sse9 is not one of baseline, avx2, avx512"), "\(error)")
    }
    if EngineKernels.best < .avx512 {
      XCTAssertThrowsError(try EngineKernels.select(.avx512))
    }
    XCTAssertNoThrow(try EngineKernels.selectFromEnvironment([:]))
  }
}
