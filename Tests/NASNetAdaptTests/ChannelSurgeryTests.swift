import Foundation
import NASArch
import NASSpace
import NASSupport
import XCTest

@testable import NASNetAdapt
@testable import NASTrain

/// A small network with what the surgery must handle: a stem, mbconv blocks with and without
/// expansion, squeeze-excite, a residual chain over three units, a head conv, a pooled head
/// conv without batch norm, and a classifier.
let tinyArchitecture = """
  name tiny
  input 8 channels=3
  classes 5
  stem conv k=3 s=1 out=16 act=hswish
  block mbconv k=3 s=1 mid=16 out=16 se-ch=8 se-gate=hsigmoid se-act=relu act=relu skip=identity
  block mbconv k=3 s=2 mid=48 out=24 se-ch=16 se-gate=hsigmoid se-act=relu act=hswish
  block mbconv k=5 s=1 mid=56 out=24 se-ch=16 se-gate=hsigmoid se-act=relu act=hswish skip=identity
  block mbconv k=3 s=1 mid=40 out=24 act=relu skip=identity
  block sepconv k=3 s=1 out=32 act=relu
  head conv k=1 s=1 out=40 act=hswish
  head pool
  head conv k=1 s=1 out=48 act=hswish bn=none
  classifier dropout=0.2
  """

final class ChannelSurgeryTests: XCTestCase {
  func tiny() throws -> Architecture { try DSL.parseArchitecture(tinyArchitecture, file: "tiny") }

  /// Random weights, batch-norm statistics and affine terms, so removed channels would matter.
  func randomWeights(_ arch: Architecture) throws -> WeightSet {
    let network = try Network<Float>(arch, seed: 3, threads: 1)
    var rng = SeededGenerator(seed: 11)
    var weights = network.weights()
    for i in weights.tensors.indices {
      let name = weights.tensors[i].name
      weights.tensors[i].values = weights.tensors[i].values.map { v in
        if name.hasSuffix("running_var") { return Float(0.5 + Double(rng.uniform(below: 1000)) / 1000) }
        if name.hasSuffix("running_mean") || name.hasSuffix("bias") { return Float(rng.normal() * 0.3) }
        if name.hasSuffix("bn.weight") { return Float(0.5 + Double(rng.uniform(below: 1000)) / 1000) }
        return v == 0 ? Float(rng.normal() * 0.1) : v
      }
    }
    return weights
  }

  func forward(_ arch: Architecture, _ weights: WeightSet, input: [Float], batch: Int) throws -> [Float] {
    let network = try Network<Float>(arch, seed: 0, threads: 1)
    try network.load(weights, requireSameArchitecture: false)
    let out = input.withUnsafeBufferPointer { p in
      network.forward(network.input(from: p.baseAddress!, batch: batch), RunContext<Float>.inference(threads: 1))
    }
    return Array(UnsafeBufferPointer(start: out.pointer, count: out.count))
  }

  /// The original weights with every removed channel silenced: its filters, batch-norm scale
  /// and shift and bias zeroed (so it outputs exactly 0, as every activation maps 0 to 0), the
  /// removed squeeze channels' reduce filters and biases zeroed, and the classifier's columns
  /// for removed features zeroed (its batch norm would turn a 0 into a constant).
  func masked(_ weights: WeightSet, plan: ChannelSurgery.Plan, old: Architecture, new: Architecture) -> WeightSet {
    var w = weights
    func zero(_ name: String, rows removed: Set<Int>) {
      guard var t = w[name] else { return }
      let inner = t.shape.dropFirst().reduce(1, *)
      for r in removed { for k in 0..<inner { t.values[r * inner + k] = 0 } }
      w[name] = t
    }
    for (prefix, kept) in plan.outputs {
      guard let n = w[prefix + ".conv.weight"]?.shape[0] ?? w[prefix + ".se.expand.bias"]?.shape[0] else { continue }
      let removed = Set(0..<n).subtracting(kept)
      for part in [".conv.weight", ".conv.bias", ".bn.weight", ".bn.bias"] { zero(prefix + part, rows: removed) }
    }
    for (prefix, kept) in plan.squeeze {
      let n = w[prefix + ".se.reduce.bias"]!.shape[0]
      let removed = Set(0..<n).subtracting(kept)
      zero(prefix + ".se.reduce.weight", rows: removed)
      zero(prefix + ".se.reduce.bias", rows: removed)
    }
    if let fc = w.tensors.first(where: { $0.name.hasSuffix("fc.weight") }) {
      let features = fc.shape[1]
      let newFeatures = (try? new.placedUnits().last!.input.channels) ?? features
      if newFeatures != features {
        var t = fc
        let removed = Set(0..<features).subtracting(plan.kept)
        for o in 0..<fc.shape[0] { for c in removed { t.values[o * features + c] = 0 } }
        w[fc.name] = t
      }
    }
    return w
  }

  func testPrunedNetworkComputesWhatTheMaskedOriginalComputes() throws {
    let arch = try tiny()
    let weights = try randomWeights(arch)
    var rng = SeededGenerator(seed: 5)
    let batch = 3
    let input = (0..<(batch * 8 * 8 * 3)).map { _ in Float(rng.normal()) }
    let generator = ProposalGenerator(divisor: 8)
    var checked = 0
    for width in PrunableWidth.all(in: arch) {
      for count in width.smallerCounts(divisor: 8) {
        let new = generator.apply(width, channels: count, to: arch)
        guard ChannelSurgery.sameStructure(arch, new) else { continue }
        let plan = try ChannelSurgery.plan(weights, from: arch, to: new)
        XCTAssertEqual(plan.kept.count, count, "\(width)")
        let pruned = try ChannelSurgery.shrink(weights, from: arch, to: new)
        let a = try forward(new, pruned, input: input, batch: batch)
        let b = try forward(arch, masked(weights, plan: plan, old: arch, new: new), input: input, batch: batch)
        XCTAssertEqual(a.count, b.count)
        let scale = b.map { abs($0) }.max() ?? 1
        let diff = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThan(diff, 1e-4 * max(1, scale), "\(width) → \(count)")
        // And the removed channels mattered: the unmasked original computes something else.
        let c = try forward(arch, weights, input: input, batch: batch)
        XCTAssertGreaterThan(zip(a, c).map { abs($0 - $1) }.max() ?? 0, 1e-4, "\(width) → \(count)")
        checked += 1
      }
    }
    XCTAssertGreaterThanOrEqual(checked, 12)
  }

  func testKeepsTheFiltersOfLargestNormSummedOverAResidualChain() throws {
    let arch = try tiny()
    var weights = try randomWeights(arch)
    // Chain units 2-4 share out=24: make channel 5 tiny in every producer and channel 7 tiny in
    // only one, so the sum keeps 7 and drops 5.
    let chain = PrunableWidth.all(in: arch).first { $0.kind == .width && $0.units == [2, 3, 4] }!
    let producers = ["units.2.layers.3.conv.weight", "units.3.layers.3.conv.weight", "units.4.layers.2.conv.weight"]
    for (i, name) in producers.enumerated() {
      var t = weights[name]!
      let inner = t.shape.dropFirst().reduce(1, *)
      for k in 0..<inner {
        t.values[5 * inner + k] *= 1e-3
        if i == 0 { t.values[7 * inner + k] *= 1e-3 }
      }
      weights[name] = t
    }
    let new = ProposalGenerator().apply(chain, channels: 16, to: arch)
    let plan = try ChannelSurgery.plan(weights, from: arch, to: new)
    XCTAssertFalse(plan.kept.contains(5))
    XCTAssertEqual(plan.kept, plan.kept.sorted())
    // Every unit of the chain keeps the same channels; the shapes follow.
    let pruned = try ChannelSurgery.shrink(weights, from: arch, to: new)
    for name in producers { XCTAssertEqual(pruned[name]!.shape[0], 16) }
    XCTAssertEqual(pruned["units.5.layers.0.conv.weight"]!.shape, [16, 1, 3, 3])  // sepconv depthwise on the chain
    XCTAssertEqual(pruned["units.3.layers.0.conv.weight"]!.shape, [56, 16, 1, 1])  // expansion reads the chain
  }

  func testRefusesArchitecturesOfAnotherStructure() throws {
    let arch = try tiny()
    var other = arch
    other.units[2].midChannels = 16  // equal to its input: no expansion conv any more
    XCTAssertFalse(ChannelSurgery.sameStructure(arch, other))
    XCTAssertThrowsError(try ChannelSurgery.shrink(try randomWeights(arch), from: arch, to: other))
  }
}
