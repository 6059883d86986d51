import Foundation
import NASArch
import NASSpace
import NASTrain
import XCTest

@testable import NASExport

/// The text of exported PyTorch files. Whether PyTorch builds the same network with the same
/// names and numbers is checked with PyTorch itself (scripts/check-pytorch-export.sh).
final class PyTorchExporterTests: XCTestCase {
  let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  func reference(_ name: String) throws -> Architecture {
    try DSL.loadArchitecture(path: root.appendingPathComponent("search-spaces/reference/\(name).arch").path)
  }

  func python(_ arch: Architecture, _ options: ExportOptions = ExportOptions()) throws -> String {
    try PyTorchExporter.export(try ExportSource.initialised(arch), options: options)
  }

  func testEachUnitIsOneConstructorCallNamingItsBlockType() throws {
    let arch = try reference("mobilenet-v3-large")
    let text = try python(arch)
    let unitLines = text.split(separator: "\n").filter { $0.contains("),  # ") }
    XCTAssertEqual(unitLines.count, arch.units.count)
    XCTAssertTrue(unitLines[0].contains("Conv(in_chans, 16, kernel=3, stride=2, act=\"hswish\")"), String(unitLines[0]))
    XCTAssertTrue(
      unitLines[4].contains("InvertedResidual(24, 40, kernel=5, stride=2, mid=72, act=\"relu\", se=(24, \"relu\", \"hsigmoid\"))"),
      String(unitLines[4]))
    XCTAssertTrue(unitLines[18].contains("Conv(960, 1280, kernel=1, act=\"hswish\", norm=False)"), String(unitLines[18]))
    XCTAssertTrue(unitLines[19].contains("Classifier(1280, num_classes, dropout=0.2)"), String(unitLines[19]))
    XCTAssertTrue(text.contains("def __init__(self, in_chans=3, num_classes=1000):"))
  }

  func testRepViTUnitsUseTheirOwnBlocks() throws {
    let text = try python(try reference("repvit-m0.9"))
    XCTAssertTrue(text.contains("= RepViTBlock(") || text.contains("    RepViTBlock("))
    XCTAssertTrue(text.contains("RepViTDownsample("))
  }

  func testFeatureInfoListsTheRequestedStridesOrEveryStride() throws {
    let arch = try reference("mobilenet-v3-large")
    let taps = try python(arch, ExportOptions(featureStrides: [8, 16, 32]))
    XCTAssertTrue(taps.contains(#"{"num_chs": 40, "reduction": 8, "unit": 6},"#))
    XCTAssertTrue(taps.contains(#"{"num_chs": 960, "reduction": 32, "unit": 16},"#))
    XCTAssertFalse(taps.contains(#""reduction": 4,"#))
    let all = try python(arch)
    XCTAssertTrue(all.contains(#"{"num_chs": 16, "reduction": 2, "unit": 1},"#))
  }

  func testThePreprocessingOfTrainedWeightsIsWritten() throws {
    let arch = try reference("mobilenet-v3-small")
    var weights = try Network<Float>(arch, threads: 1).weights()
    weights.preprocessing = Preprocessing(mean: [0.286], std: [0.353], inputSize: 28)
    let source = try ExportSource.trained(arch, weights: weights, file: "w.safetensors")
    let text = try PyTorchExporter.export(source, options: ExportOptions())
    XCTAssertTrue(text.contains(#""mean": [0.286], "std": [0.353], "input_size": 28}"#), text.prefix(2000).description)
    XCTAssertTrue(text.contains("ARCHITECTURE_HASH = \"\(arch.canonicalHash)\""))
  }
}
