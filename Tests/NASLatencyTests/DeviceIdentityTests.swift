import Foundation
import NASArch
import NASSpace
import NASStore
import NASSupport
import XCTest

@testable import NASLatency

/// Device profiles tell CPUs with the same model string apart, and profiles stored before
/// the CPU identity was recorded keep their id and tables.
final class DeviceIdentityTests: XCTestCase {
  static let zen4 = """
    processor\t: 0
    vendor_id\t: AuthenticAMD
    cpu family\t: 25
    model\t\t: 17
    model name\t: AMD EPYC
    stepping\t: 1
    flags\t\t: fpu sse2 ssse3 fma sse4_1 avx f16c avx2 avx512f avx512bw avx512vl avx512_vnni hypervisor rdrand

    processor\t: 1
    cpu family\t: 99
    """

  static let zen3 = """
    cpu family\t: 25
    model\t\t: 1
    model name\t: AMD EPYC
    stepping\t: 1
    flags\t\t: fpu sse2 ssse3 fma sse4_1 avx f16c avx2 hypervisor
    """

  func profile(_ cpu: CPUIdentity?) -> DeviceProfile {
    DeviceProfile(cpuModel: "AMD EPYC", cores: 2, threads: 1, backend: "xnnpack", backendVersion: "0.0~git20220216.ae108ef-2", precision: "fp32", cpu: cpu)
  }

  func testParsesFamilyModelSteppingAndOnlyTheKernelFlagsOfTheFirstProcessor() {
    let id = CPUIdentity.parse(cpuinfo: Self.zen4)
    XCTAssertEqual(id.family, 25)
    XCTAssertEqual(id.model, 17)
    XCTAssertEqual(id.stepping, 1)
    XCTAssertEqual(id.flags, ["sse2", "ssse3", "sse4_1", "avx", "f16c", "fma", "avx2", "avx512f", "avx512bw", "avx512vl", "avx512_vnni"])
    XCTAssertEqual(id.text, "family 25 model 17 stepping 1; sse2 ssse3 sse4_1 avx f16c fma avx2 avx512f avx512bw avx512vl avx512_vnni")
    XCTAssertEqual(CPUIdentity.field("model name", in: Self.zen4), "AMD EPYC")

    let arm = CPUIdentity.parse(cpuinfo: "processor\t: 0\nFeatures\t: fp asimd evtstrm aes asimdhp asimddp sve\nCPU part\t: 0xd40\n")
    XCTAssertEqual(arm, CPUIdentity(family: nil, model: nil, stepping: nil, flags: ["asimd", "asimdhp", "asimddp", "sve"]))
    XCTAssertEqual(arm.text, "asimd asimdhp asimddp sve")
    XCTAssertEqual(CPUIdentity.parse(cpuinfo: "").text, "no kernel flags reported")
  }

  func testAProfileWithoutIdentityKeepsTheIdOlderVersionsGaveIt() {
    let old = profile(nil)
    let olderFormula = String(
      SHA256.hex(["AMD EPYC", "2", "1", "xnnpack", "0.0~git20220216.ae108ef-2", "fp32"].joined(separator: "\n")).prefix(12))
    XCTAssertEqual(old.id, olderFormula)
    XCTAssertFalse(old.identityKnown)
    XCTAssertTrue(old.summary.contains("identity unknown: measured before CPU family and flags were recorded"), old.summary)
  }

  func testTheIdChangesWithFamilyModelSteppingAndEveryKernelFlag() {
    let base = CPUIdentity.parse(cpuinfo: Self.zen4)
    let ids = [
      profile(nil).id, profile(base).id, profile(CPUIdentity.parse(cpuinfo: Self.zen3)).id,
      profile(CPUIdentity(family: 26, model: base.model, stepping: base.stepping, flags: base.flags)).id,
      profile(CPUIdentity(family: base.family, model: base.model, stepping: 2, flags: base.flags)).id,
      profile(CPUIdentity(family: base.family, model: base.model, stepping: nil, flags: base.flags)).id,
    ]
    XCTAssertEqual(Set(ids).count, ids.count, "\(ids)")
    for flag in base.flags {
      let without = CPUIdentity(family: base.family, model: base.model, stepping: base.stepping, flags: base.flags.filter { $0 != flag })
      XCTAssertNotEqual(profile(without).id, profile(base).id, "dropping \(flag) must change the id")
    }
    // Flags outside the kernel list (rdrand, hypervisor) do not.
    let noise = CPUIdentity.parse(cpuinfo: Self.zen4.replacingOccurrences(of: " hypervisor rdrand", with: " sha_ni"))
    XCTAssertEqual(profile(noise).id, profile(base).id)

    // This machine, as it is now described, is not the profile an older version gave it.
    var older = DeviceProfile.current(threads: 1)
    XCTAssertTrue(older.identityKnown)
    older.cpu = nil
    XCTAssertNotEqual(older.id, DeviceProfile.current(threads: 1).id)
  }

  func testProfilesRoundTripThroughTheirDatabaseRows() throws {
    let identified = profile(CPUIdentity.parse(cpuinfo: Self.zen4))
    XCTAssertEqual(DeviceProfile(record: identified.record), identified)
    XCTAssertEqual(identified.record.cpuFlags, "sse2 ssse3 sse4_1 avx f16c fma avx2 avx512f avx512bw avx512vl avx512_vnni")
    XCTAssertNil(profile(nil).record.cpuFlags)
    XCTAssertEqual(DeviceProfile(record: profile(nil).record), profile(nil))

    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nas-identity-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let store = try ResultsStore.open(path: dir.appendingPathComponent("r.sqlite").path)
    _ = try LatencyDatabase(store: store, profile: profile(nil))
    _ = try LatencyDatabase(store: store, profile: identified)
    XCTAssertEqual(try store.profiles().map { DeviceProfile(record: $0) }.sorted { $0.id < $1.id }, [profile(nil), identified].sorted { $0.id < $1.id })
    XCTAssertEqual(try LatencyDatabase.resolveProfile(id: String(identified.id.prefix(7)), threads: 1, in: store), identified)
    XCTAssertEqual(try LatencyDatabase.resolveProfile(id: profile(nil).id, threads: 1, in: store), profile(nil))
  }

  func testARowWithoutIdentityTakesItOnceAndKeepsIt() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nas-identity-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let store = try ResultsStore.open(path: dir.appendingPathComponent("r.sqlite").path)
    let identified = profile(CPUIdentity.parse(cpuinfo: Self.zen4))
    var bare = identified.record
    bare.cpuFamily = nil
    bare.cpuModelNumber = nil
    bare.cpuStepping = nil
    bare.cpuFlags = nil
    try store.recordProfile(bare)
    XCTAssertEqual(try store.profiles(), [bare])
    try store.recordProfile(identified.record)
    XCTAssertEqual(try store.profiles(), [identified.record])
    // Neither a caller without the identity nor one with another identity overwrites it.
    try store.recordProfile(bare)
    var other = identified.record
    other.cpuFlags = "avx"
    try store.recordProfile(other)
    XCTAssertEqual(try store.profiles(), [identified.record])
  }

  /// A profile stored before the identity was recorded (as migration v7 leaves it: the same id,
  /// NULL identity columns) still predicts under `--device OLDID`.
  func testAnOldProfileStillPredictsByItsId() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nas-identity-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let store = try ResultsStore.open(path: dir.appendingPathComponent("r.sqlite").path)
    let old = profile(nil)
    try store.recordProfile(
      LatencyProfileRecord(
        id: old.id, cpuModel: old.cpuModel, cores: old.cores, threads: old.threads, backend: old.backend, backendVersion: old.backendVersion,
        precision: old.precision))
    let space = try DSL.parseSpace(BenchAndStoreTests.tinySpace, file: "tiny.space")
    let samples = try space.unitConfigurations().sorted { UnitKey.text($0) < UnitKey.text($1) }.enumerated().map { i, c in
      LatencySample(configuration: c, source: .grid, microseconds: 10 + Double(i), runs: 5)
    }
    try LatencyDatabase(store: store, profile: old).record(samples)

    let predictor = try LatencyService.predictor(store: store, profileID: String(old.id.prefix(8)))
    XCTAssertEqual(predictor.profile, old)
    XCTAssertFalse(predictor.profile.identityKnown)
    let arch = try space.fixedArchitectureOrSample()
    let direct = try LatencyPredictor.fit(profile: old, samples: samples, networks: []).0
    XCTAssertEqual(try predictor.milliseconds(arch), try direct.milliseconds(arch), accuracy: 1e-6)
    XCTAssertNotEqual(predictor.profile.id, DeviceProfile.current(threads: 1).id, "this machine gets its own id, not the old one")
  }

  func testCSVCarriesTheIdentityOfAnIdentifiedProfile() throws {
    let c = try UnitKey.parse("conv k=3 s=2 out=8 act=relu @ 8x8x3")
    let samples = [LatencySample(configuration: c, source: .grid, microseconds: 12.5, runs: 5, round: 1)]
    for cpu in [CPUIdentity.parse(cpuinfo: Self.zen4), CPUIdentity(family: nil, model: nil, stepping: nil, flags: [])] {
      let text = LatencyCSV.write(samples, profile: profile(cpu))
      XCTAssertTrue(text.hasPrefix(LatencyCSV.identifiedHeader.joined(separator: ",") + "\n"), text)
      let groups = try LatencyCSV.read(text, file: "t.csv")
      XCTAssertEqual(groups.map(\.profile), [profile(cpu)])
      XCTAssertEqual(groups[0].samples, samples)
    }
    // A profile without identity is written as before, and read back without one.
    let old = LatencyCSV.write(samples, profile: profile(nil))
    XCTAssertTrue(old.hasPrefix(LatencyCSV.header.joined(separator: ",") + "\n"))
    XCTAssertEqual(try LatencyCSV.read(old, file: "t.csv").map(\.profile), [profile(nil)])

    let good = LatencyCSV.write(samples, profile: profile(CPUIdentity.parse(cpuinfo: Self.zen4)))
    let badStepping = good.replacingOccurrences(of: ",25,17,1,", with: ",25,17,x,")
    XCTAssertThrowsError(try LatencyCSV.read(badStepping, file: "t.csv")) { error in
      XCTAssertTrue("\(error)".contains("t.csv:2") && "\(error)".contains("cpu_stepping must be empty or a non-negative integer"), "\(error)")
    }
    // Another identity than the id was computed from is refused, as any other mismatch.
    let otherFlags = good.replacingOccurrences(of: " avx512_vnni\n", with: "\n")
    XCTAssertThrowsError(try LatencyCSV.read(otherFlags, file: "t.csv")) { error in
      XCTAssertTrue("\(error)".contains("does not match the profile columns"), "\(error)")
    }
  }
}
