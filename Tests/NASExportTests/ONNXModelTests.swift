import Foundation
import NASArch
import NASSpace
import NASSupport
import NASTrain
import SwiftProtobuf
import XCTest

@testable import NASExport

/// The structure of exported models, read back with the same generated types. Whether the
/// numbers are right is checked against onnxruntime (CLITests.ExportCommandTests and
/// scripts/check-onnx-export.sh).
final class ONNXModelTests: XCTestCase {
  let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  func reference(_ name: String, resolution: Int = 64) throws -> Architecture {
    var arch = try DSL.loadArchitecture(path: root.appendingPathComponent("search-spaces/reference/\(name).arch").path)
    arch.inputSize = resolution
    return arch
  }

  func exported(_ arch: Architecture, _ options: ExportOptions = ExportOptions()) throws -> Onnx_ModelProto {
    let data = try ONNXExporter.export(try ExportSource.initialised(arch), options: options)
    return try Onnx_ModelProto(serializedBytes: data)
  }

  func dims(_ value: Onnx_ValueInfoProto) -> [String] {
    value.type.tensorType.shape.dim.map { d in
      switch d.value {
      case .dimParam(let p): return p
      case .dimValue(let v): return String(v)
      case nil: return "?"
      }
    }
  }

  /// Every node reads only the input, initialisers and outputs of earlier nodes, and every
  /// initialiser is read.
  func assertWellFormed(_ model: Onnx_ModelProto, file: StaticString = #filePath, line: UInt = #line) {
    var defined = Set(model.graph.input.map(\.name)).union(model.graph.initializer.map(\.name))
    var read = Set<String>()
    for node in model.graph.node {
      for input in node.input {
        XCTAssertTrue(defined.contains(input), "\(node.name) reads \(input) before it is written", file: file, line: line)
        read.insert(input)
      }
      for output in node.output {
        XCTAssertFalse(defined.contains(output), "\(output) is written twice", file: file, line: line)
        defined.insert(output)
      }
    }
    for output in model.graph.output { XCTAssertTrue(defined.contains(output.name), file: file, line: line) }
    XCTAssertEqual(Set(model.graph.initializer.map(\.name)).subtracting(read), [], "unused initialisers", file: file, line: line)
  }

  func testTheModelHasTheDocumentedInputOutputAndOpset() throws {
    let model = try exported(try reference("mobilenet-v3-small"))
    XCTAssertEqual(model.opsetImport.map(\.version), [17])
    XCTAssertEqual(model.irVersion, 8)
    XCTAssertEqual(model.graph.input.map(\.name), ["input"])
    XCTAssertEqual(dims(model.graph.input[0]), ["batch", "3", "64", "64"])
    XCTAssertEqual(model.graph.output.map(\.name), ["logits"])
    XCTAssertEqual(dims(model.graph.output[0]), ["batch", "1000"])
    assertWellFormed(model)
    let keys = model.metadataProps.map(\.key)
    XCTAssertEqual(keys, ["nas.architecture", "nas.architecture_hash", "nas.weights", "nas.preprocessing", "nas.feature_info"])
  }

  func testBatchNormIsFoldedUnlessKept() throws {
    let arch = try reference("mobilenet-v2")
    let folded = try exported(arch)
    XCTAssertFalse(folded.graph.node.contains { $0.opType == "BatchNormalization" })
    let kept = try exported(arch, ExportOptions(keepBatchNorm: true))
    let convolutions = kept.graph.node.filter { $0.opType == "Conv" }.count
    // Every convolution of MobileNetV2 is followed by batch norm.
    XCTAssertEqual(kept.graph.node.filter { $0.opType == "BatchNormalization" }.count, convolutions)
    assertWellFormed(kept)
  }

  func testEveryShippedArchitectureAndASampleOfEverySpaceExportsWellFormed() throws {
    // The file at input 64 and, for the references, a quarter width: the structure is the same
    // and the networks initialise quickly (the spaces keep their own widths: the RepViT one ties
    // widths a multiplier would break).
    func space64(_ path: String, width: Double? = 0.25) throws -> SearchSpace {
      var space = try DSL.loadSpace(path: root.appendingPathComponent(path).path)
      if let width { space.width = .fixed(width) }
      space.inputSize = .fixed(64)
      space.resolution = .fixed(1)
      return space
    }
    var archs: [Architecture] = []
    for name in try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("search-spaces/reference").path).sorted() {
      archs.append(try DSL.parseArchitecture(space: try space64("search-spaces/reference/\(name)")))
    }
    for space in ["mnasnet", "mobilenetv3", "repvit"] {
      let s = try space64("search-spaces/\(space).space", width: nil)
      var generator = SeededGenerator(seed: 5)
      archs.append(try s.sample(using: &generator))
    }
    let operators = Set([
      "Conv", "Relu", "Clip", "HardSigmoid", "HardSwish", "Sigmoid", "Mul", "Add", "Div", "Erf", "GlobalAveragePool", "Flatten", "Gemm",
      "Identity",
    ])
    for arch in archs {
      let model = try exported(arch)
      assertWellFormed(model)
      let unexpected = Set(model.graph.node.map(\.opType)).subtracting(operators)
      XCTAssertEqual(unexpected, [], "\(arch.name ?? "sample")")
    }
  }

  func testFeatureTapsAreTheOutputsWithTheirChannelsInTheMetadata() throws {
    let arch = try reference("mobilenet-v3-large", resolution: 640)
    let model = try exported(arch, ExportOptions(featureStrides: [8, 16, 32]))
    XCTAssertEqual(model.graph.output.map(\.name), ["p3", "p4", "p5"])
    XCTAssertEqual(model.graph.output.map(dims), [["batch", "40", "80", "80"], ["batch", "112", "40", "40"], ["batch", "960", "20", "20"]])
    XCTAssertFalse(model.graph.node.contains { $0.opType == "Gemm" }, "the classifier is not part of a backbone")
    assertWellFormed(model)
    let info = try XCTUnwrap(model.metadataProps.first { $0.key == "nas.feature_info" }).value
    let decoded = try JSONDecoder().decode([ExportMetadata.FeatureInfo].self, from: Data(info.utf8))
    XCTAssertEqual(decoded.map(\.numChs), [40, 112, 960])
    XCTAssertEqual(decoded.map(\.reduction), [8, 16, 32])
  }

  func testAStrideTheNetworkLacksIsRefused() throws {
    let arch = try reference("mobilenet-v3-small")
    XCTAssertThrowsError(try exported(arch, ExportOptions(featureStrides: [64]))) { error in
      guard case ExportError.features(let message) = error else { return XCTFail("\(error)") }
      XCTAssertTrue(message.contains("64"), message)
    }
  }

  func testWeightsOfAnotherArchitectureAreRefusedByName() throws {
    let v2 = try reference("mobilenet-v2"), small = try reference("mobilenet-v3-small")
    var weights = try Network<Float>(v2, threads: 1).weights()
    weights.metadata[WeightSet.architectureTextKey] = v2.canonicalText()
    XCTAssertThrowsError(try ExportSource.trained(small, weights: weights, file: "w.safetensors")) { error in
      guard case ExportError.weightsForAnotherArchitecture = error else { return XCTFail("\(error)") }
      XCTAssertTrue("\(error)".contains("mobilenet"), "\(error)")
    }
  }
}
