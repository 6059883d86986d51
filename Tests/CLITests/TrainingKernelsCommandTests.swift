import Foundation
import XCTest

/// The OpenBLAS core and the engine's instruction set as `nas` chooses and reports them, run as
/// a user would. A test that sets OPENBLAS_CORETYPE for the program it runs is skipped where the
/// environment already sets it (the machine's setting is never changed in tests).
final class TrainingKernelsCommandTests: XCTestCase {
  let train = ["train", "search-spaces/reference/mobilenet-v3-small.arch", "--data", "random:32x32x3", "--steps", "2",
    "--batch-size", "8", "--validation", "16", "--quiet", "--json"]

  func kernels(_ environment: [String: String?]) throws -> [String: Any] {
    let r = try CommandRunner.run(train, environment: environment)
    XCTAssertEqual(r.status, 0, r.stderr)
    let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
    return try XCTUnwrap(json?["kernels"] as? [String: Any], r.stdout)
  }

  func skipWhereTheEnvironmentSetsTheCore() throws {
    if let set = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] {
      throw XCTSkip("OPENBLAS_CORETYPE=\(set) is set here; tests do not change it")
    }
  }

  func testTrainReportsTheCoreAndInstructionSetThatRan() throws {
    let k = try kernels([:])
    let blas = try XCTUnwrap(k["blas"] as? [String: Any])
    XCTAssertFalse((blas["core"] as? String ?? "").isEmpty)
    XCTAssertTrue(["detected", "environment", "nas", "fallback"].contains(blas["source"] as? String ?? ""), "\(blas)")
    XCTAssertTrue(["baseline", "avx2", "avx512"].contains(k["vector"] as? String ?? ""), "\(k)")
  }

  func testNASKernelsChoosesTheInstructionSetAndRejectsUnknownNames() throws {
    XCTAssertEqual(try kernels(["NAS_KERNELS": "baseline"])["vector"] as? String, "baseline")
    let r = try CommandRunner.run(train, environment: ["NAS_KERNELS": "sse9"])
    XCTAssertNotEqual(r.status, 0)
    XCTAssertTrue(r.stderr.contains("NAS_KERNELS=sse9 is not one of baseline, avx2, avx512"), r.stderr)
  }

  func testACoreTheEnvironmentSetsIsKept() throws {
    try skipWhereTheEnvironmentSetsTheCore()
    let blas = try XCTUnwrap(try kernels(["OPENBLAS_CORETYPE": "Prescott"])["blas"] as? [String: Any])
    XCTAssertEqual(blas["core"] as? String, "Prescott")
    XCTAssertEqual(blas["source"] as? String, "environment")
  }

  /// The process nas starts again after choosing a core: the core is checked and reported as nas's.
  func testACoreNASChoseIsCheckedAndReported() throws {
    try skipWhereTheEnvironmentSetsTheCore()
    let blas = try XCTUnwrap(
      try kernels(["OPENBLAS_CORETYPE": "Haswell", "NAS_OPENBLAS_CORETYPE": "Haswell", "NAS_OPENBLAS_DETECTED": "Prescott"])[
        "blas"] as? [String: Any])
    XCTAssertEqual(blas["core"] as? String, "Haswell")
    XCTAssertEqual(blas["source"] as? String, "nas")
    XCTAssertEqual(blas["detected"] as? String, "Prescott")
  }

  /// A chosen core OpenBLAS does not load: nas runs itself again without it (a real execve) and
  /// reports OpenBLAS's own detection with the reason.
  func testACoreOpenBLASDoesNotLoadFallsBackToDetection() throws {
    try skipWhereTheEnvironmentSetsTheCore()
    let detected = try XCTUnwrap(try kernels([:])["blas"] as? [String: Any])["core"] as? String
    let blas = try XCTUnwrap(
      try kernels(["OPENBLAS_CORETYPE": "NoSuchCore", "NAS_OPENBLAS_CORETYPE": "NoSuchCore"])["blas"] as? [String: Any])
    XCTAssertEqual(blas["source"] as? String, "fallback")
    XCTAssertEqual(blas["core"] as? String, detected)
    XCTAssertTrue((blas["rejected"] as? String ?? "").contains("instead of NoSuchCore"), "\(blas)")
  }

  /// Every OpenBLAS core this CPU runs trains the network to the same loss within rounding, as
  /// does every instruction set of the engine's own kernels.
  func testEveryGEMMCoreAndInstructionSetTrainsToTheSameLoss() throws {
    try skipWhereTheEnvironmentSetsTheCore()
    func loss(_ environment: [String: String?]) throws -> Double {
      let r = try CommandRunner.run(train, environment: environment)
      XCTAssertEqual(r.status, 0, r.stderr)
      let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
      return try XCTUnwrap(json?["train_loss"] as? Double, r.stdout)
    }
    let flags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.split(separator: "\n")
      .first { $0.hasPrefix("flags") }.map { Set($0.split(separator: " ").map(String.init)) } ?? []
    var variants: [[String: String?]] = [["OPENBLAS_CORETYPE": "Prescott"], ["NAS_KERNELS": "baseline"]]
    if flags.isSuperset(of: ["avx2", "fma"]) { variants += [["OPENBLAS_CORETYPE": "Haswell"], ["NAS_KERNELS": "avx2"]] }
    if flags.isSuperset(of: ["avx512f", "avx512bw", "avx512dq", "avx512vl"]) {
      variants += [["OPENBLAS_CORETYPE": "SkylakeX"], ["NAS_KERNELS": "avx512"]]
    }
    let reference = try loss([:])
    XCTAssertTrue(reference.isFinite)
    for variant in variants {
      XCTAssertEqual(try loss(variant), reference, accuracy: 1e-3 * abs(reference), "\(variant)")
    }
  }
}
