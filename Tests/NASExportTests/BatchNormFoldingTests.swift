import XCTest

@testable import NASExport

final class BatchNormFoldingTests: XCTestCase {
  let bn = BatchNormTensors(gamma: [1.5, -0.5], beta: [0.25, 2], mean: [0.1, -3], variance: [4, 0.25])

  func reference(_ x: Float, channel c: Int) -> Double {
    (Double(x) - Double(bn.mean[c])) / (Double(bn.variance[c]) + 1e-5).squareRoot() * Double(bn.gamma[c]) + Double(bn.beta[c])
  }

  func testFoldingAfterAOneByOneConvolutionGivesTheSameOutputs() {
    // 2 outputs, 3 inputs, 1×1 kernel: y[o] = Σ w[o,i] x[i], then batch norm.
    let w: [Float] = [0.3, -1, 2, 0.5, 0.25, -0.75]
    let x: [Float] = [1, -2, 0.5]
    let folded = bn.foldAfter(weights: w, outChannels: 2)
    for o in 0..<2 {
      let conv = (0..<3).reduce(Float(0)) { $0 + w[o * 3 + $1] * x[$1] }
      let viaFold = (0..<3).reduce(Double(folded.bias[o])) { $0 + Double(folded.weights[o * 3 + $1]) * Double(x[$1]) }
      XCTAssertEqual(viaFold, reference(conv, channel: o), accuracy: 1e-5)
    }
  }

  func testFoldingBeforeALinearLayerGivesTheSameOutputs() {
    // 3 outputs, 2 inputs; batch norm on the 2 inputs first.
    let w: [Float] = [1, 2, -0.5, 0.25, 3, -1]
    let bias: [Float] = [0.5, -1, 0]
    let x: [Float] = [0.75, -4]
    let folded = bn.foldBefore(weights: w, bias: bias, inFeatures: 2)
    for o in 0..<3 {
      let normalised = (0..<2).map { reference(x[$0], channel: $0) }
      let direct = (0..<2).reduce(Double(bias[o])) { $0 + Double(w[o * 2 + $1]) * normalised[$1] }
      let viaFold = (0..<2).reduce(Double(folded.bias[o])) { $0 + Double(folded.weights[o * 2 + $1]) * Double(x[$1]) }
      XCTAssertEqual(viaFold, direct, accuracy: 1e-4)
    }
  }
}
