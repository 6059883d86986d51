import Foundation
import NASArch
import NASSpace
import NASTrain
import XCTest

@testable import NASNetAdapt

final class ProposalTests: XCTestCase {
  let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  func reference(_ name: String) throws -> Architecture {
    try DSL.loadArchitecture(path: root.appendingPathComponent("search-spaces/reference/\(name).arch").path)
  }

  /// A stand-in predictor: milliseconds proportional to MACs.
  func fake(_ arch: Architecture) throws -> Double { Double(try arch.costs().macs) / 1e7 }

  func testResidualChainShrinksTogetherToTheLargestCountMeetingTheReduction() throws {
    let v2 = try reference("mobilenet-v2")
    let current = try fake(v2)
    let reduction = 0.01 * current
    let proposals = try ProposalGenerator(divisor: 8).proposals(for: v2, currentMs: current, reduction: reduction, predict: fake)
    XCTAssertFalse(proposals.isEmpty)
    for p in proposals {
      XCTAssertLessThanOrEqual(p.predictedMs, current - reduction, p.label)
      XCTAssertEqual(p.channelsAfter % 8, 0, p.label)
      XCTAssertLessThan(p.channelsAfter, p.channelsBefore, p.label)
      XCTAssertNoThrow(try p.architecture.costs(), p.label)  // residual shapes stay valid
      // The largest count: the next one up on the divisor does not meet the reduction.
      let larger = p.channelsAfter + 8
      if larger < p.channelsBefore {
        let a = ProposalGenerator().apply(p.width, channels: larger, to: v2)
        if ChannelSurgery.sameStructure(v2, a) { XCTAssertGreaterThan(try fake(a), current - reduction, p.label) }
      }
    }
    // The 32-wide chain (units 4-6 in MobileNetV2) shrinks all three outputs together.
    let chain = try XCTUnwrap(proposals.first { $0.width.kind == .width && $0.width.units == [4, 5, 6] })
    for u in 4...6 { XCTAssertEqual(chain.architecture.units[u].outChannels, chain.channelsAfter) }
    XCTAssertEqual(chain.architecture.units[7].outChannels, 64)
    XCTAssertNotNil(proposals.first { $0.width.kind == .width && $0.width.units == [0] })  // the stem
    // One expansion proposal per block that has an expansion convolution.
    XCTAssertEqual(proposals.filter { $0.width.kind == .expansion }.count, 16)
  }

  func testAWidthCarriesAlongAnExpansionEqualToIt() throws {
    // An mbconv whose mid equals its input has no expansion convolution. The parser turns one
    // into a sepconv; built in code (tiny's first block as an mbconv) it stays an mbconv.
    var tiny = try DSL.parseArchitecture(tinyArchitecture, file: "tiny")
    tiny.units[1].op = .mbconv
    tiny.units[1].midChannels = 16
    let stem = try XCTUnwrap(PrunableWidth.all(in: tiny).first { $0.kind == .width && $0.units.first == 0 })
    XCTAssertEqual(stem.units, [0, 1])  // the first block is residual: the stem's width is a chain
    let shrunk = ProposalGenerator().apply(stem, channels: 8, to: tiny)
    XCTAssertEqual(shrunk.units[1].midChannels, 8)
    XCTAssertEqual(shrunk.units[1].squeezeExcite?.squeezeChannels, 8)
    XCTAssertTrue(ChannelSurgery.sameStructure(tiny, shrunk))
    XCTAssertFalse(ChannelSurgery.sameStructure(tiny, stem.applied(to: tiny, channels: 8)))
  }

  func testWidthsThatCannotMeetTheReductionAreLeftOut() throws {
    let v2 = try reference("mobilenet-v2")
    let current = try fake(v2)
    // Half the latency in one cut: no single width can do it.
    XCTAssertTrue(try ProposalGenerator().proposals(for: v2, currentMs: current, reduction: current / 2, predict: fake).isEmpty)
  }

  func testEveryReferenceNetworkHasValidProposals() throws {
    let dir = root.appendingPathComponent("search-spaces/reference")
    let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".arch") }.sorted()
    XCTAssertGreaterThanOrEqual(files.count, 8)
    for file in files {
      let arch = try DSL.loadArchitecture(path: dir.appendingPathComponent(file).path)
      let current = try fake(arch)
      let proposals = try ProposalGenerator().proposals(for: arch, currentMs: current, reduction: 0.01 * current, predict: fake)
      XCTAssertGreaterThan(proposals.count, 3, file)
      for p in proposals { XCTAssertTrue(ChannelSurgery.sameStructure(arch, p.architecture), "\(file) \(p.label)") }
    }
  }
}

final class ReferenceSurgeryTests: XCTestCase {
  /// On the proxy of every shipped reference network, weights carried through a cut of a
  /// residual chain (or, without one, an expansion or the last width) load into the narrower
  /// network. One cut each keeps the test affordable in a debug build.
  func testSurgeryFitsEveryReferenceNetwork() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let dir = root.appendingPathComponent("search-spaces/reference")
    let rule = ProxyRule(resolution: 32, inputChannels: 1, classes: 10, maxDownsampling: 32)
    for file in try FileManager.default.contentsOfDirectory(atPath: dir.path).filter({ $0.hasSuffix(".arch") }).sorted() {
      let arch = try DSL.loadArchitecture(path: dir.appendingPathComponent(file).path)
      let weights = try Network<Float>(rule.proxy(of: arch), seed: 1, threads: 1).weights()
      let widths = PrunableWidth.all(in: arch)
      let picked = [
        widths.first { $0.kind == .width && $0.units.count > 1 } ?? widths.first { $0.kind == .expansion } ?? widths.last
      ].compactMap { $0 }
      XCTAssertEqual(picked.count, 1, file)
      for width in picked {
        guard let count = width.smallerCounts().first(where: { c in
          ChannelSurgery.sameStructure(arch, ProposalGenerator().apply(width, channels: c, to: arch))
        }) else { continue }
        let new = ProposalGenerator().apply(width, channels: count, to: arch)
        let pruned = try ChannelSurgery.shrink(weights, from: rule.proxy(of: arch), to: rule.proxy(of: new))
        let network = try Network<Float>(rule.proxy(of: new), seed: 2, threads: 1)
        XCTAssertNoThrow(try network.load(pruned, requireSameArchitecture: true), "\(file) \(width)")
      }
    }
  }
}
