import NASArch
import NASSpace
import NASSupport
import XCTest

@testable import NASLatency

final class UnitKeyAndCSVTests: XCTestCase {
  let units: [(NASArch.Unit, Shape)] = [
    (Unit(role: .stem, op: .conv, kernel: 3, stride: 2, outChannels: 16, activation: .hswish), Shape(square: 224, channels: 3)),
    (
      Unit(
        role: .block, op: .mbconv, kernel: 5, stride: 2, outChannels: 40, midChannels: 72,
        squeezeExcite: UnitSqueezeExcite(squeezeChannels: 24, gate: .hsigmoid, activation: .relu), activation: .relu),
      Shape(square: 56, channels: 24)
    ),
    (Unit(role: .block, op: .sepconv, kernel: 3, outChannels: 64, activation: .relu, pwActivation: .relu), Shape(square: 112, channels: 32)),
    (Unit(role: .block, op: .repvit, kernel: 3, outChannels: 48, normalization: .foldedBatchNorm), Shape(square: 56, channels: 48)),
    (Unit(role: .block, op: .repvitDown, kernel: 3, stride: 2, outChannels: 96, midChannels: 192), Shape(square: 56, channels: 48)),
    (Unit(role: .head, op: .pool), Shape(square: 7, channels: 960)),
    (Unit(role: .classifier, op: .classifier, outChannels: 1000, normalization: .none, dropout: 0.2), Shape(square: 1, channels: 1280)),
  ]

  func testUnitKeysRoundTrip() throws {
    for (u, s) in units {
      let c = UnitKey.normalized(u, input: s)
      let text = UnitKey.text(c)
      XCTAssertEqual(try UnitKey.parse(text), c, text)
    }
    XCTAssertEqual(
      UnitKey.text(unit: units[1].0, input: units[1].1),
      "mbconv k=5 s=2 mid=72 out=40 se-ch=24 se-gate=hsigmoid se-act=relu act=relu @ 56x56x24")
    // An mbconv without mid means no expansion: the same key as mid equal to the input.
    let implicit = Unit(role: .block, op: .mbconv, kernel: 3, outChannels: 16, activation: .relu)
    var explicit = implicit
    explicit.midChannels = 16
    XCTAssertEqual(UnitKey.normalized(implicit, input: Shape(square: 8, channels: 16)), UnitKey.normalized(explicit, input: Shape(square: 8, channels: 16)))
  }

  func testBadUnitTextIsAnError() {
    for (text, fragment) in [
      ("mbconv k=3 s=1 out=16", "expected 'UNIT @ HxWxC'"), ("warp k=3 @ 8x8x8", "unknown op 'warp'"),
      ("conv k=3 s=1 out=16 act=tanh @ 8x8x8", "unknown activation"), ("conv k=3 s=1 out=16 @ 8x0x8", "positive sizes"),
      ("conv k=3 s=1 out=16 colour=red @ 8x8x8", "unknown attribute 'colour'"),
      ("mbconv k=3 s=2 mid=32 out=16 act=relu skip=identity @ 8x8x16", "skip=identity cannot apply"),
    ] {
      XCTAssertThrowsError(try UnitKey.parse(text)) { XCTAssertTrue("\($0)".contains(fragment), "\($0)") }
    }
  }

  func samples() -> [LatencySample] {
    units.enumerated().map { i, u in
      LatencySample(
        configuration: UnitKey.normalized(u.0, input: u.1), source: i % 2 == 0 ? .grid : .offgrid, microseconds: 10.5 + Double(i) / 3,
        runs: 7, round: i % 3 == 0 ? nil : i, statistic: i == 1 ? .median : .fastest)
    }
  }

  func testCSVRoundTrip() throws {
    let profile = PredictorTests.profile
    let text = LatencyCSV.write(samples(), profile: profile)
    XCTAssertTrue(
      text.hasPrefix("profile_id,cpu_model,cores,threads,backend,backend_version,precision,unit,source,microseconds,runs,round,statistic\n"))
    let groups = try LatencyCSV.read(text, file: "t.csv")
    XCTAssertEqual(groups.count, 1)
    XCTAssertEqual(groups[0].profile, profile)
    XCTAssertEqual(groups[0].samples, samples())
    // CRLF line ends read the same.
    let crlf = try LatencyCSV.read(text.replacingOccurrences(of: "\n", with: "\r\n"), file: "t.csv")
    XCTAssertEqual(crlf[0].samples, samples())
  }

  /// Files written before samples named their statistic hold medians.
  func testCSVWithoutTheStatisticColumnReadsAsMedians() throws {
    let lines = LatencyCSV.write(samples(), profile: PredictorTests.profile).split(separator: "\n").map { line in
      line.split(separator: ",", omittingEmptySubsequences: false).dropLast().joined(separator: ",")
    }
    XCTAssertEqual(lines[0], LatencyCSV.olderHeader.joined(separator: ","))
    let read = try LatencyCSV.read(lines.joined(separator: "\n"), file: "old.csv")[0].samples
    XCTAssertEqual(read.map(\.statistic), Array(repeating: .median, count: samples().count))
    XCTAssertEqual(read.map(\.microseconds), samples().map(\.microseconds))
    var bad = LatencyCSV.write(samples(), profile: PredictorTests.profile).split(separator: "\n").map(String.init)
    bad[1] = bad[1].replacingOccurrences(of: ",fastest", with: ",mean")
    XCTAssertThrowsError(try LatencyCSV.read(bad.joined(separator: "\n"), file: "s.csv")) {
      XCTAssertTrue("\($0)".contains("s.csv:2: statistic must be one of median, fastest"), "\($0)")
    }
  }

  func testCSVErrorsNameTheLine() {
    let good = LatencyCSV.write(samples(), profile: PredictorTests.profile)
    var lines = good.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    XCTAssertThrowsError(try LatencyCSV.read("", file: "e.csv")) { XCTAssertTrue("\($0)".contains("e.csv:1: the file is empty"), "\($0)") }
    XCTAssertThrowsError(try LatencyCSV.read("a,b\n", file: "h.csv")) { XCTAssertTrue("\($0)".contains("h.csv:1: unexpected header"), "\($0)") }
    lines[2] = lines[2].replacingOccurrences(of: ",7,", with: ",seven,")
    XCTAssertThrowsError(try LatencyCSV.read(lines.joined(separator: "\n"), file: "r.csv")) {
      XCTAssertTrue("\($0)".contains("r.csv:3: runs must be a positive integer"), "\($0)")
    }
    let tampered = good.replacingOccurrences(of: ",4,1,", with: ",8,1,")
    XCTAssertThrowsError(try LatencyCSV.read(tampered, file: "p.csv")) {
      XCTAssertTrue("\($0)".contains("p.csv:2: profile_id"), "\($0)")
    }
  }
}
