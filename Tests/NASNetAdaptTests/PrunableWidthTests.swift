import Foundation
import NASArch
import NASSpace
import XCTest

@testable import NASNetAdapt

final class PrunableWidthTests: XCTestCase {
  let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  func reference(_ name: String) throws -> Architecture {
    try DSL.loadArchitecture(path: root.appendingPathComponent("search-spaces/reference/\(name).arch").path)
  }

  func testResidualChainsOfMobileNetV2ShrinkTogether() throws {
    let v2 = try reference("mobilenet-v2")
    let widths = PrunableWidth.all(in: v2).filter { $0.kind == .width }
    // stem 32, 16, then 24 x2, 32 x3, 64 x4, 96 x3, 160 x3, 320, head 1280.
    XCTAssertEqual(widths.map(\.channels), [32, 16, 24, 32, 64, 96, 160, 320, 1280])
    XCTAssertEqual(widths.map(\.units.count), [1, 1, 2, 3, 4, 3, 3, 1, 1])
    let expansions = PrunableWidth.all(in: v2).filter { $0.kind == .expansion }
    XCTAssertEqual(expansions.count, 16)  // every bottleneck but the first (t = 1)
  }

  func testEveryProposalOfEveryReferenceNetworkStaysValid() throws {
    let names = ["mobilenet-v1", "mobilenet-v2", "mobilenet-v3-large", "mobilenet-v3-small", "mnasnet-a1", "mnasnet-b1", "repvit-m0.9"]
    for name in names {
      let arch = try reference(name)
      let baseline = try arch.costs()
      let widths = PrunableWidth.all(in: arch)
      XCTAssertFalse(widths.isEmpty, name)
      for width in widths {
        guard let smaller = width.smallerCounts().first(where: { width.keepsStructure(of: arch, channels: $0) }) else { continue }
        let shrunk = width.applied(to: arch, channels: smaller)
        let costs = try shrunk.costs()  // residual shapes stay valid
        XCTAssertLessThan(costs.macs, baseline.macs, "\(name) \(width)")
        XCTAssertEqual(try DSL.parseArchitecture(shrunk.canonicalText(), file: "x").canonicalText(), shrunk.canonicalText())
        XCTAssertEqual(try DSL.parseArchitecture(shrunk.canonicalText(), file: "x"), shrunk, "\(name) \(width)")
      }
    }
  }

  func testRepViTDownsamplingWidthCarriesItsStage() throws {
    let arch = try reference("repvit-m0.9")
    let down = PrunableWidth.all(in: arch).filter { $0.kind == .width && arch.units[$0.units[0]].op == .repvitDown }
    XCTAssertEqual(down.map(\.channels), [96, 192, 384])
    // The 192 stage: the downsampling unit, 14 blocks and the pre-block of the next stage.
    XCTAssertEqual(down[1].units.count, 16)
    XCTAssertNoThrow(try down[1].applied(to: arch, channels: 160).costs())
  }

  func testExpansionEqualToInputIsAvoided() throws {
    let v3 = try reference("mobilenet-v3-large")
    let expansion = PrunableWidth.all(in: v3).first { $0.kind == .expansion && $0.channels == 64 }!  // 16 -> 64 -> 24
    XCTAssertFalse(expansion.keepsStructure(of: v3, channels: 16))
    XCTAssertTrue(expansion.keepsStructure(of: v3, channels: 24))
  }
}
