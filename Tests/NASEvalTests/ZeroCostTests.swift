import NASArch
import Foundation
@testable import NASTrain
import XCTest

@testable import NASEval

final class ZeroCostTests: XCTestCase {
  static func arch(width: Int, depth: Int = 1, act: Activation = .relu) -> Architecture {
    var units = [NASArch.Unit(role: .stem, op: .conv, kernel: 3, stride: 2, outChannels: width, activation: act)]
    for _ in 0..<depth {
      units.append(
        NASArch.Unit(
          role: .block, op: .mbconv, kernel: 3, stride: 1, outChannels: width, midChannels: 2 * width,
          squeezeExcite: UnitSqueezeExcite(squeezeChannels: 4, gate: .hsigmoid), activation: act, residual: true))
    }
    units += [
      NASArch.Unit(role: .head, op: .pool), NASArch.Unit(role: .classifier, op: .classifier, outChannels: 10, dropout: 0.2),
    ]
    return Architecture(name: "z\(width)", inputSize: 32, inputChannels: 3, classes: 1000, units: units)
  }

  static let splits = try! DataSource.random(height: 8, width: 8, channels: 1).load(validationCount: 100)

  func score(_ proxy: ZeroCostProxy, _ a: Architecture, repeats: Int = 2) throws -> Double {
    let e = try ZeroCostEvaluator(
      configuration: .init(proxy: proxy, data: "random:8x8x1", settings: ZeroCostSettings(zenBatch: 4, zenRepeats: repeats, naswotBatch: 16)),
      splits: Self.splits)
    let v = try e.evaluate(a).get()
    XCTAssertFalse(v.isAccuracy)
    XCTAssert(v.value.isFinite)
    return v.value
  }

  func testScoresAreFiniteAndGrowWithWidth() throws {
    // Wider networks have more activation patterns, more flow and larger features.
    XCTAssertGreaterThan(try score(.synflow, Self.arch(width: 16)), try score(.synflow, Self.arch(width: 8)))
    XCTAssertGreaterThan(try score(.zen, Self.arch(width: 16)), try score(.zen, Self.arch(width: 4)))
    XCTAssertGreaterThan(try score(.naswot, Self.arch(width: 16)), try score(.naswot, Self.arch(width: 2)))
  }

  func testScoresAreReproducible() throws {
    let a = Self.arch(width: 8, act: .hswish)
    for p in ZeroCostProxy.allCases { XCTAssertEqual(try score(p, a), try score(p, a), p.rawValue) }
  }

  func testSynflowMatchesAHandComputedValue() throws {
    // One 1x1 conv without batch norm then pooling and a linear layer, all-ones input:
    // R = Σ_o Σ_c |v_oc|·|w_c|·relu(...) = Σ |v|·|w| (inputs are 1); each weight's θ·∂R/∂θ is
    // its share, so the score is 2·Σ_o Σ_c |v_oc||w_c| (+ the bias terms, which are zero).
    let a = Architecture(
      inputSize: 2, inputChannels: 1, classes: 2,
      units: [
        NASArch.Unit(role: .stem, op: .conv, kernel: 1, stride: 1, outChannels: 3, activation: .relu, normalization: .none),
        NASArch.Unit(role: .head, op: .pool), NASArch.Unit(role: .classifier, op: .classifier, outChannels: 2),
      ])
    let s = try ZeroCostScores.score(.synflow, a, data: nil).value
    let net = try Network<Double>(a, seed: 0)
    let w = net.parameter(named: "units.0.layers.0.conv.weight")!.values().map(abs)
    let v = net.parameter(named: "units.2.layers.0.fc.weight")!.values().map(abs)
    var expected = 0.0
    for o in 0..<2 { for c in 0..<3 { expected += 2 * v[o * 3 + c] * w[c] } }
    XCTAssertEqual(s, expected, accuracy: 1e-12 * expected)
  }

  func testNASWOTKernelCountsAgreements() {
    let k = NASWOTKernel(batch: 2)
    // Two images, 3 units each: codes (+,+,-) and (+,-,-): they agree on 2 units.
    let pre: [Float] = [1, 2, -1, 3, -2, -5]
    pre.withUnsafeBufferPointer { k.add(.relu, $0.baseAddress!, batch: 2, rows: 2, channels: 3, scale: nil, shift: nil) }
    XCTAssertEqual(k.matrix, [3, 2, 2, 3])
    XCTAssertEqual(LinearAlgebra.logAbsDeterminant(k.matrix, size: 2)!, log(5.0), accuracy: 1e-12)
    // Gates are not rectifiers: not counted.
    pre.withUnsafeBufferPointer { k.add(.hsigmoid, $0.baseAddress!, batch: 2, rows: 2, channels: 3, scale: nil, shift: nil) }
    XCTAssertEqual(k.units, 3)
  }
}
