import Foundation
import XCTest

/// Options are checked before any work starts, and a bad number is a message, not a crash.
/// A refused option exits with the argument parser's usage status (64, EX_USAGE); an error
/// found while working exits with 1, so the status tells which of the two happened.
final class OptionValidationTests: XCTestCase {
  static let usageStatus: Int32 = 64

  var directory: URL!

  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("nas-options-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

  func file(_ name: String, _ text: String) throws -> String {
    let url = directory.appendingPathComponent(name)
    try text.write(to: url, atomically: true, encoding: .utf8)
    return url.path
  }

  static let tiny = """
    input 8 channels=1
    classes 10
    stem conv k=3 s=2 out=8 act=relu
    head pool
    classifier
    """

  /// `nas train` on the tiny network and random 8x8 images: a moment's work.
  func train(_ extra: [String]) throws -> CommandRunner.Result {
    let arch = try file("tiny.arch", Self.tiny)
    return try CommandRunner.run(["train", arch, "--data", "random:8x8x1", "--steps", "1", "--validation", "10", "--quiet"] + extra)
  }

  func assertRefused(_ r: CommandRunner.Result, _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(r.status, Self.usageStatus, "\(r.stdout)\n\(r.stderr)", file: file, line: line)
    XCTAssert(r.stderr.contains(fragment), "expected '\(fragment)' in: \(r.stderr)", file: file, line: line)
  }

  func testWidthOverridesTakeTheFilesRangeAndNeverCrash() throws {
    let reference = "search-spaces/reference/mobilenet-v2.arch"
    for value in ["nan", "inf", "1e30", "0", "9", "-1"] {
      for command in ["info", "canon"] {
        assertRefused(try CommandRunner.run(["arch", command, reference, "--width", value]), "--width must be above 0 and at most 8")
      }
    }
    XCTAssertEqual(try CommandRunner.run(["arch", "info", reference, "--width", "8"]).status, 0)
    // The file's own width statement draws the same line.
    let inRange = try file("w8.arch", "width 8\n" + Self.tiny)
    XCTAssertEqual(try CommandRunner.run(["arch", "info", inRange]).status, 0)
    let outOfRange = try file("w9.arch", "width 9\n" + Self.tiny)
    XCTAssertNotEqual(try CommandRunner.run(["arch", "info", outOfRange]).status, 0)
    assertRefused(try CommandRunner.run(["arch", "info", reference, "--resolution", "0"]), "--resolution must be between 1 and 4096")
    assertRefused(try CommandRunner.run(["arch", "canon", reference, "--resolution", "4097"]), "--resolution must be between 1 and 4096")
  }

  func testNegativeNumbersAreReadAndRefusedAsNotPositive() throws {
    let db = directory.appendingPathComponent("none.sqlite").path
    let cases: [([String], String)] = [
      (["space", "sample", "search-spaces/mnasnet.space", "--count", "-1"], "--count must be positive"),
      (["latency", "validate", "--space", "search-spaces/mnasnet.space", "--count", "-1", "--db", db], "--count must be positive"),
      (["bench", "--rounds", "-2", "--db", db], "--rounds must be positive"),
      (["db", "top", "-n", "-3", "--db", db], "-n must be positive"),
    ]
    for (arguments, fragment) in cases {
      let r = try CommandRunner.run(arguments)
      assertRefused(r, fragment)
      XCTAssertFalse(r.stderr.contains("Missing value"), r.stderr)
    }
    assertRefused(try train(["--epochs", "-1"]), "--epochs must be a positive number")
  }

  func testSuccessiveHalvingSettingsAreCheckedBeforeAnyWork() throws {
    let db = directory.appendingPathComponent("none.sqlite").path
    let search = ["search", "--target-ms", "5", "--db", db]
    let cases: [([String], String)] = [
      (["--fidelity", "40,,360"], "--fidelity takes training steps per rung"),
      (["--fidelity", "360"], "at least two rungs"),
      (["--fidelity", "120,40"], "rungs must increase"),
      (["--fidelity", "40,120", "--eta", "1"], "--eta must be at least 2"),
      (["--fidelity", "40,120", "--evaluator", "zen"], "needs --evaluator train"),
      (["--fidelity", "40,120", "--schedule-steps", "500"], "leave out --schedule-steps"),
    ]
    for (arguments, fragment) in cases { assertRefused(try CommandRunner.run(search + arguments), fragment) }
    XCTAssertFalse(FileManager.default.fileExists(atPath: db), "nothing was opened")
  }

  func testZeroCountsAreRefused() throws {
    assertRefused(try train(["--steps", "0"]), "--steps must be positive")
    assertRefused(try train(["--threads", "0"]), "--threads must be positive")
    assertRefused(try train(["--max-downsampling", "0"]), "--max-downsampling must be positive")
    let arch = try file("tiny.arch", Self.tiny)
    assertRefused(try CommandRunner.run(["score", arch, "--proxy", "zen", "--max-downsampling", "0"]), "--max-downsampling must be positive")
    assertRefused(try CommandRunner.run(["latency", "measure", arch, "--round-ms", "0"]), "--round-ms must be a positive number")
  }

  func testRandomDataIsBoundedBeforeAllocating() throws {
    let r = try train(["--data", "random:4096x4096x64"])
    assertRefused(r, "GiB of pixels, above the limit")
  }

  func testTrainChecksWhereItSavesBeforeTraining() throws {
    let missing = directory.appendingPathComponent("missing-folder/w.safetensors").path
    let r = try train(["--save", missing])
    assertRefused(r, "does not exist")
    XCTAssertFalse(r.stdout.contains("trained"), r.stdout)
    assertRefused(try train(["--save", directory.path]), "is a folder")
  }

  /// Through a link to `/dev/full` (so a failing run replaces the link, not the device): the
  /// write reaches the device and its error is the command's.
  func testTrainSavingToAFullDeviceFailsAndKeepsTheLink() throws {
    try XCTSkipUnless(FileManager.default.fileExists(atPath: "/dev/full"), "no /dev/full here")
    let link = directory.appendingPathComponent("full.safetensors").path
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "/dev/full")
    let r = try train(["--save", link])
    XCTAssertEqual(r.status, 1, r.stderr)
    XCTAssert(r.stderr.contains(String(cString: strerror(ENOSPC))), r.stderr)
    XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link), "/dev/full")
  }

  func testLatencyExportThroughALinkWritesTheTargetAndKeepsTheLink() throws {
    let db = directory.appendingPathComponent("lat.sqlite").path
    // The older header (no statistic column): imported as medians, without a fit.
    let header = "profile_id,cpu_model,cores,threads,backend,backend_version,precision,unit,source,microseconds,runs,round"
    let row = ",test cpu,2,1,xnnpack,1,fp32,conv k=3 s=1 out=16 act=relu @ 8x8x8,grid,12.5,10,"
    // The profile id is derived from the profile columns; the import says which it expects.
    let probe = try CommandRunner.run(["latency", "import", try file("probe.csv", header + "\nwrong" + row + "\n"), "--db", db])
    let id = try XCTUnwrap(probe.stderr.components(separatedBy: "(they give ").last?.components(separatedBy: ")").first, probe.stderr)
    let imported = try CommandRunner.run(["latency", "import", try file("in.csv", header + "\n" + id + row + "\n"), "--db", db])
    XCTAssertEqual(imported.status, 0, imported.stderr)
    let target = directory.appendingPathComponent("target.csv").path, link = directory.appendingPathComponent("link.csv").path
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
    let exported = try CommandRunner.run(["latency", "export", link, "--device", id, "--db", db])
    XCTAssertEqual(exported.status, 0, exported.stderr)
    XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link), target)
    XCTAssert(try String(contentsOfFile: target, encoding: .utf8).contains("conv k=3 s=1 out=16"))
    assertRefused(
      try CommandRunner.run(["latency", "export", directory.appendingPathComponent("no/x.csv").path, "--device", id, "--db", db]),
      "does not exist")
  }

  /// docs/dsl.md's range for `classes` is what the parser takes, and its largest value also
  /// passes the classifier (whose out channels are the classes).
  func testClassesRangeIsTheDocumentedOneAndFitsTheClassifier() throws {
    let docs = try String(contentsOf: CommandRunner.root.appendingPathComponent("docs/dsl.md"), encoding: .utf8)
    let row = try XCTUnwrap(docs.split(separator: "\n").first { $0.hasPrefix("| `classes N`") })
    let range = try XCTUnwrap(row.range(of: #"1–(\d+)"#, options: .regularExpression), String(row))
    let largest = try XCTUnwrap(Int(row[range].dropFirst(2)))
    func space(_ classes: Int) -> String { Self.tiny.replacingOccurrences(of: "classes 10", with: "classes \(classes)") }
    let ok = try CommandRunner.run(["space", "validate", try file("max.arch", space(largest))])
    XCTAssertEqual(ok.status, 0, ok.stderr)
    let path = try file("over.arch", space(largest + 1))
    let over = try CommandRunner.run(["space", "validate", path])
    XCTAssertNotEqual(over.status, 0)
    XCTAssert(over.stderr.contains("\(path):2:"), "refused at the classes line: \(over.stderr)")
  }
}
