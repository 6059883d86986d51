import XCTest

@testable import NASTrain

/// The start-up decision about OpenBLAS's core, for every case the CPUs of this machine kind
/// meet, and the check a chosen core must pass.
final class BLASCoreTests: XCTestCase {
  func plan(_ loaded: String, _ cpu: VectorISA, _ env: [String: String] = [:], passes: Bool = true) -> BLASCore.Plan {
    BLASCore.plan(loaded: loaded, cpu: cpu, environment: env, checkPassed: { passes })
  }

  func testAGenericCoreOnAVX512OrAVX2IsReplaced() {
    XCTAssertEqual(plan("Prescott", .avx512), .reexec(core: "SkylakeX"))
    XCTAssertEqual(plan("Haswell", .avx512), .reexec(core: "SkylakeX"))
    XCTAssertEqual(plan("Prescott", .avx2), .reexec(core: "Haswell"))
    XCTAssertEqual(plan("Nehalem", .avx2), .reexec(core: "Haswell"))
  }

  func testACoreThatMatchesTheCPUOrIsUnknownIsKept() {
    XCTAssertEqual(plan("Cooperlake", .avx512), .keep(BLASCore(core: "Cooperlake", source: .detected)))
    XCTAssertEqual(plan("SkylakeX", .avx512), .keep(BLASCore(core: "SkylakeX", source: .detected)))
    XCTAssertEqual(plan("Zen", .avx2), .keep(BLASCore(core: "Zen", source: .detected)))
    XCTAssertEqual(plan("Prescott", .baseline), .keep(BLASCore(core: "Prescott", source: .detected)))
    XCTAssertEqual(plan("NewCore2030", .avx512), .keep(BLASCore(core: "NewCore2030", source: .detected)))
  }

  func testTheEnvironmentsCoreIsNeverReplaced() {
    XCTAssertEqual(
      plan("Prescott", .avx512, ["OPENBLAS_CORETYPE": "Prescott"]), .keep(BLASCore(core: "Prescott", source: .environment)))
    // Set by the user to the same name nas would pick, but without nas's marker: still the user's.
    XCTAssertEqual(
      plan("SkylakeX", .avx512, ["OPENBLAS_CORETYPE": "SkylakeX"]), .keep(BLASCore(core: "SkylakeX", source: .environment)))
  }

  func testACoreNASChoseIsKeptOnlyWhenLoadedAndChecked() {
    let chosen = ["OPENBLAS_CORETYPE": "SkylakeX", "NAS_OPENBLAS_CORETYPE": "SkylakeX", "NAS_OPENBLAS_DETECTED": "Prescott"]
    XCTAssertEqual(plan("SkylakeX", .avx512, chosen), .keep(BLASCore(core: "SkylakeX", source: .nas, detected: "Prescott")))
    XCTAssertEqual(
      plan("SkylakeX", .avx512, chosen, passes: false),
      .fallback(reason: "SkylakeX failed the sgemm check against a double-precision reference"))
    XCTAssertEqual(plan("Prescott", .avx512, chosen), .fallback(reason: "OpenBLAS loaded Prescott instead of SkylakeX"))
    // After a fallback: no second attempt.
    XCTAssertEqual(
      plan("Prescott", .avx512, ["NAS_OPENBLAS_REJECTED": "SkylakeX: failed"]),
      .keep(BLASCore(core: "Prescott", source: .fallback, rejected: "SkylakeX: failed")))
  }

  func testTheLoadedCorePassesTheSgemmCheck() {
    XCTAssertTrue(BLASCore.sgemmAgreesWithReference(), "OpenBLAS \(BLASCore.loadedCore)")
  }
}
