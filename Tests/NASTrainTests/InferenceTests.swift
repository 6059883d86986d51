import Foundation
import NASArch
import NASSupport
import XCTest

@testable import NASTrain

/// `Network.infer`: the engine's inference pass behind a channels-first interface.
final class InferenceTests: XCTestCase {
  /// Three input channels and a non-trivial spatial size, so a transposition error shows.
  static func tiny(classes: Int = 4) -> Architecture {
    Architecture(
      name: "tiny-rgb", inputSize: 8, inputChannels: 3, classes: classes,
      units: [
        NASArch.Unit(role: .stem, op: .conv, kernel: 3, stride: 2, outChannels: 6, activation: .hswish),
        NASArch.Unit(role: .block, op: .sepconv, kernel: 3, stride: 1, outChannels: 6, activation: .relu, residual: true),
        NASArch.Unit(
          role: .block, op: .mbconv, kernel: 3, stride: 2, outChannels: 5, midChannels: 12,
          squeezeExcite: UnitSqueezeExcite(squeezeChannels: 3, gate: .hsigmoid), activation: .hswish),
        NASArch.Unit(role: .block, op: .mbconv, kernel: 5, stride: 1, outChannels: 5, midChannels: 10, activation: .relu6, residual: true),
        NASArch.Unit(role: .head, op: .conv, kernel: 1, outChannels: 7, activation: .hswish),
        NASArch.Unit(role: .head, op: .pool),
        NASArch.Unit(role: .classifier, op: .classifier, outChannels: classes, dropout: 0.2),
      ])
  }

  /// A network whose batch norms have statistics far from the initial ones, so normalising
  /// with a batch's statistics instead of the running ones would change every output.
  static func network(_ arch: Architecture = tiny(), seed: UInt64 = 5) throws -> Network<Float> {
    let net = try Network<Float>(arch, seed: seed, threads: 1)
    var rng = SeededGenerator(seed: seed &+ 100)
    for p in net.parameters where p.kind == .runningMean || p.kind == .runningVariance || p.kind == .normShift {
      p.setValues((0..<p.count).map { _ in Float(p.kind == .runningVariance ? 0.5 + rng.unitDouble() : rng.normal() * 0.3) })
    }
    return net
  }

  static func images(_ n: Int, _ arch: Architecture, seed: UInt64 = 9) throws -> NumpyArray {
    var rng = SeededGenerator(seed: seed)
    let shape = arch.inferenceInputShape(batch: n)
    return try NumpyArray(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in Float(rng.normal()) })
  }

  /// Largest |a - b| relative to the largest |a|.
  func relativeDifference(_ a: [Float], _ b: [Float]) -> Float {
    XCTAssertEqual(a.count, b.count)
    let scale = max(a.map(abs).max() ?? 0, .leastNormalMagnitude)
    return zip(a, b).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
  }

  func testLogitsEqualTheEnginesOwnForwardOnTheSameImagesChannelsLast() throws {
    let arch = Self.tiny()
    let net = try Self.network(arch)
    let n = 5, c = 3, side = 8
    let x = try Self.images(n, arch)
    let result = try net.infer(x, chunk: n)
    XCTAssertEqual(result.logits.shape, [n, 4])
    // Channels last by index arithmetic, independently of the code under test.
    var nhwc = [Float](repeating: 0, count: x.values.count)
    for i in 0..<n {
      for ch in 0..<c {
        for y in 0..<side {
          for xx in 0..<side { nhwc[((i * side + y) * side + xx) * c + ch] = x.values[((i * c + ch) * side + y) * side + xx] }
        }
      }
    }
    let direct = nhwc.withUnsafeBufferPointer { p in
      let out = net.forward(net.input(from: p.baseAddress!, batch: n), .inference(threads: 1))
      return Array(UnsafeBufferPointer(start: out.pointer, count: out.count))
    }
    XCTAssertEqual(result.logits.values, direct)
    let training = nhwc.withUnsafeBufferPointer { p in
      let out = net.forward(net.input(from: p.baseAddress!, batch: n), .training(threads: 1, seed: 1))
      return Array(UnsafeBufferPointer(start: out.pointer, count: out.count))
    }
    XCTAssertGreaterThan(relativeDifference(direct, training), 1e-3, "the statistics chosen make batch statistics differ")
  }

  func testImagesDoNotInteractSoChunkingKeepsTheResult() throws {
    let arch = Self.tiny()
    let net = try Self.network(arch)
    let x = try Self.images(7, arch)
    let whole = try net.infer(x, units: [2], chunk: 7)
    let single = try net.infer(x, units: [2], chunk: 1)
    let threeAtATime = try net.infer(x, units: [2], chunk: 3)
    for other in [single, threeAtATime] {
      XCTAssertLessThan(relativeDifference(whole.logits.values, other.logits.values), 1e-6)
      XCTAssertLessThan(relativeDifference(whole.units[2]!.values, other.units[2]!.values), 1e-6)
    }
  }

  func testUnitOutputsHaveTheirPlacedShapesChannelsFirst() throws {
    let arch = Self.tiny()
    let placed = try arch.placedUnits()
    let result = try Self.network(arch).infer(try Self.images(2, arch), units: Array(arch.units.indices))
    XCTAssertEqual(Set(result.units.keys), Set(arch.units.indices))
    for u in placed {
      XCTAssertEqual(result.units[u.index]?.shape, [2, u.output.channels, u.output.height, u.output.width], "unit \(u.index)")
    }
    XCTAssertEqual(result.units[arch.units.count - 1]?.values, result.logits.values, "the classifier's output is the logits")
  }

  /// A unit's recorded output, fed to a network made of the units after it (with their
  /// weights), gives the full network's logits: it is exactly what the rest of the network
  /// consumed, residual included and channels first.
  func testAUnitsOutputFeedsTheRestOfTheNetwork() throws {
    let arch = Self.tiny()
    let net = try Self.network(arch)
    let x = try Self.images(3, arch)
    for k in [0, 1, 3] {
      let full = try net.infer(x, units: [k])
      let map = full.units[k]!
      XCTAssertEqual(map.shape[2], map.shape[3])
      let tailArch = Architecture(
        name: "tail", inputSize: map.shape[2], inputChannels: map.shape[1], classes: arch.classes, units: Array(arch.units[(k + 1)...]))
      let tail = try Network<Float>(tailArch, threads: 1)
      var weights = net.weights()
      weights.tensors = weights.tensors.compactMap { t in
        let parts = t.name.split(separator: ".", maxSplits: 2)
        guard let u = Int(parts[1]), u > k else { return nil }
        return NamedTensor(name: "units.\(u - k - 1).\(parts[2])", shape: t.shape, values: t.values)
      }
      try tail.load(weights, requireSameArchitecture: false)
      let rest = try tail.infer(map)
      XCTAssertLessThan(relativeDifference(full.logits.values, rest.logits.values), 1e-6, "unit \(k)")
      XCTAssertGreaterThan(full.logits.values.map(abs).max() ?? 0, 0)
    }
  }

  func testWrongInputShapesAndUnitsAreRefused() throws {
    let arch = Self.tiny()
    let net = try Self.network(arch)
    for shape in [[2, 8, 8, 3], [2, 1, 8, 8], [2, 3, 16, 16], [3, 8, 8], [0, 3, 8, 8]] {
      let x = try NumpyArray(shape: shape, values: [Float](repeating: 0, count: shape.reduce(1, *)))
      XCTAssertThrowsError(try net.infer(x), "\(shape)") { error in
        guard case .inputShape(let got, _)? = error as? InferenceError else { return XCTFail("\(error)") }
        XCTAssertEqual(got, shape)
        XCTAssertTrue("\(error)".contains("[N, 3, 8, 8]"), "\(error)")
      }
    }
    XCTAssertThrowsError(try net.infer(try Self.images(1, arch), units: [1, 7])) {
      XCTAssertEqual($0 as? InferenceError, .noSuchUnit(7, unitCount: 7))
    }
  }

  func testWeightsNameTheirNetworkTheArchitectureItsProxyOrNeither() throws {
    let arch = Self.tiny()
    var proxy = arch
    proxy.inputChannels = 1
    proxy.classes = 10
    proxy.units[proxy.units.count - 1].outChannels = 10
    XCTAssertNil(try Network<Float>(arch).weights().trainedArchitectureText(for: arch, file: "w"))
    var proxyWeights = try Network<Float>(proxy).weights()
    proxyWeights.metadata["nas.deployment_hash"] = arch.canonicalHash
    XCTAssertEqual(try proxyWeights.trainedArchitectureText(for: arch, file: "w"), proxy.canonicalText())
    let other = try Network<Float>(Self.tiny(classes: 3)).weights()
    XCTAssertThrowsError(try other.trainedArchitectureText(for: arch, file: "w.safetensors")) { error in
      guard case .weightsForAnotherArchitecture(let file, let weights, let architecture)? = error as? InferenceError else {
        return XCTFail("\(error)")
      }
      XCTAssertEqual(file, "w.safetensors")
      XCTAssertTrue(weights.contains(Self.tiny(classes: 3).canonicalHash.prefix(12)), weights)
      XCTAssertTrue(architecture.contains(arch.shortHash), architecture)
    }
  }
}
