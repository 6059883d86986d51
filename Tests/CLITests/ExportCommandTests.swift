import Foundation
import XCTest

/// `nas export`: what it refuses (before replacing anything at --out), what it writes to the
/// kinds of path OutputFile accepts, and the onnxruntime check (scripts/check-onnx-export.sh)
/// on a few networks with the debug build.
final class ExportCommandTests: XCTestCase {
  var directory: URL!
  let reference = "search-spaces/reference/mobilenet-v3-small.arch"
  /// What stands at --out before a refused export, and must still be there after it.
  let sentinel = "not a model: an export that fails must leave this file as it was\n"

  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("nas-export-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

  func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

  func export(_ arch: String, _ extra: [String]) throws -> CommandRunner.Result {
    try CommandRunner.run(["export", arch, "--format", "onnx"] + extra)
  }

  /// The kind of what is at `path` itself (a link is not followed).
  func kind(_ path: String) -> mode_t? {
    var st = stat()
    guard lstat(path, &st) == 0 else { return nil }
    return st.st_mode & S_IFMT
  }

  /// The files in the test folder (a refused or failed write leaves no temporary file).
  func names() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() }

  /// A tiny architecture, for the cases where which network it is does not matter.
  func smallArchitecture() throws -> String {
    let arch = path("small.arch")
    try """
      name small
      input 16 channels=3
      classes 5
      stem conv k=3 s=2 out=8 act=relu
      block mbconv k=3 s=1 mid=16 out=8 act=relu skip=identity
      head pool
      classifier
      """.write(toFile: arch, atomically: true, encoding: .utf8)
    return arch
  }

  /// An existing file at `name` holding `sentinel`.
  func existingFile(_ name: String) throws -> String {
    try sentinel.write(toFile: path(name), atomically: false, encoding: .utf8)
    return path(name)
  }

  /// A refusal: non-zero exit, every fragment on stderr, nothing on stdout, and the file at
  /// `kept` (when given) still `sentinel`.
  func assertRefused(
    _ r: CommandRunner.Result, _ fragments: [String], kept: String? = nil, file: StaticString = #filePath, line: UInt = #line
  ) {
    XCTAssertNotEqual(r.status, 0, "expected a refusal; stdout: \(r.stdout)", file: file, line: line)
    for fragment in fragments {
      XCTAssertTrue(r.stderr.contains(fragment), "expected '\(fragment)' in: \(r.stderr)", file: file, line: line)
    }
    XCTAssertTrue(r.stdout.isEmpty, "nothing on stdout: \(r.stdout)", file: file, line: line)
    if let kept {
      XCTAssertEqual(kind(kept), S_IFREG, "\(kept) is still a regular file", file: file, line: line)
      XCTAssertEqual(try? String(contentsOfFile: kept, encoding: .utf8), sentinel, "\(kept) was replaced", file: file, line: line)
    }
  }

  // MARK: - Refusals

  func testAnUnknownFormatIsRefusedNamingTheFormatsThereAre() throws {
    let out = try existingFile("model.tflite")
    let r = try CommandRunner.run(["export", try smallArchitecture(), "--format", "tflite", "--out", out])
    assertRefused(r, ["tflite", "--format", "onnx"], kept: out)
    XCTAssertEqual(try names(), ["model.tflite", "small.arch"])
  }

  func testOutThatIsAFolderIsRefusedAndTheFolderKept() throws {
    let folder = path("models")
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
    let inside = try existingFile("models/keep.txt")
    let r = try export(try smallArchitecture(), ["--out", folder])
    assertRefused(r, ["--out", folder, "is a folder"], kept: inside)
    XCTAssertEqual(kind(folder), S_IFDIR)
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), ["keep.txt"])
  }

  func testOutInAMissingFolderIsRefusedAndTheFolderNotCreated() throws {
    let out = path("missing/model.onnx")
    let r = try export(try smallArchitecture(), ["--out", out])
    assertRefused(r, ["--out", "the folder \(path("missing")) does not exist"])
    XCTAssertNil(kind(path("missing")), "the folder is not created")
    XCTAssertEqual(try names(), ["small.arch"])
  }

  func testAFeatureStrideTheNetworkLacksIsRefusedListingTheStridesItHas() throws {
    let out = try existingFile("model.onnx")
    let r = try export(reference, ["--resolution", "64", "--features", "64", "--out", out])
    assertRefused(r, ["no feature map at stride 64", "2, 4, 8, 16, 32"], kept: out)
    XCTAssertEqual(try names(), ["model.onnx"], "no temporary file is left")
  }

  func testAFeatureStrideThatIsNotAPowerOfTwoIsRefused() throws {
    let out = try existingFile("model.onnx")
    let r = try export(reference, ["--features", "12", "--out", out])
    assertRefused(r, ["--features", "powers of two", "12"], kept: out)
  }

  func testAMissingWeightsFileIsRefused() throws {
    let out = try existingFile("model.onnx")
    let missing = path("missing.safetensors")
    let r = try export(try smallArchitecture(), ["--weights", missing, "--out", out])
    assertRefused(r, ["--weights \(missing): no such file"], kept: out)
  }

  /// Weights `nas train` saved for mobilenet-v2's proxy, given with mobilenet-v3-small: the
  /// message names both networks, and --out is left alone.
  func testWeightsTrainedForAnotherArchitectureAreRefusedNamingBoth() throws {
    let weights = path("v2.safetensors")
    let train = try CommandRunner.run([
      "train", "search-spaces/reference/mobilenet-v2.arch", "--data", "random:8x8x1", "--max-downsampling", "8", "--steps", "1",
      "--batch-size", "2", "--validation", "2", "--quiet", "--save", weights,
    ])
    XCTAssertEqual(train.status, 0, train.stderr)
    let out = try existingFile("model.onnx")
    let r = try export(reference, ["--weights", weights, "--out", out])
    assertRefused(r, [weights, "trained for mobilenet-v2", "not for mobilenet-v3-small"], kept: out)
    XCTAssertEqual(try names(), ["model.onnx", "v2.safetensors"], "no temporary file is left")
  }

  // MARK: - Paths OutputFile writes through

  /// A link to /dev/null is followed to the device, which is written in place (it is a
  /// character device, which OutputFile writes to and never replaces); a link to a regular
  /// file stays a link and its target gets the model.
  func testOutThroughSymlinksKeepsTheLinksAndNeverReplacesTheDevice() throws {
    let arch = try smallArchitecture()
    let toNull = path("null.onnx")
    try FileManager.default.createSymbolicLink(atPath: toNull, withDestinationPath: "/dev/null")
    let r = try export(arch, ["--out", toNull])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertEqual(kind(toNull), S_IFLNK)
    XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: toNull), "/dev/null")
    XCTAssertEqual(kind("/dev/null"), S_IFCHR, "/dev/null is still the device")

    let target = try existingFile("target.onnx")
    let toFile = path("link.onnx")
    try FileManager.default.createSymbolicLink(atPath: toFile, withDestinationPath: target)
    let written = try export(arch, ["--out", toFile])
    XCTAssertEqual(written.status, 0, written.stderr)
    XCTAssertEqual(kind(toFile), S_IFLNK, "the link stays a link")
    let model = try Data(contentsOf: URL(fileURLWithPath: target))
    XCTAssertGreaterThan(model.count, 1000)
    XCTAssertNotEqual(model, Data(sentinel.utf8), "the link's target has the model")
    XCTAssertEqual(try names(), ["link.onnx", "null.onnx", "small.arch", "target.onnx"])
  }

  /// A FIFO is written in place, as `cat > fifo` would: a reader gets the same bytes a regular
  /// file would hold, and the FIFO is still a FIFO afterwards.
  func testOutThatIsAFIFOIsWrittenInPlaceAndStaysAFIFO() throws {
    let arch = try smallArchitecture()
    let regular = path("model.onnx")
    XCTAssertEqual(try export(arch, ["--out", regular]).status, 0)
    let fifo = path("fifo")
    XCTAssertEqual(mkfifo(fifo, 0o600), 0)
    // Held open read-write so neither the reader's nor nas's open() waits for the other, and
    // the reader sees the end only when this is closed after nas has exited.
    let holder = open(fifo, O_RDWR)
    XCTAssertGreaterThanOrEqual(holder, 0)
    let received = path("received")
    _ = FileManager.default.createFile(atPath: received, contents: nil)
    let reader = Process()
    reader.executableURL = URL(fileURLWithPath: "/bin/cat")
    reader.arguments = [fifo]
    reader.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: received))
    try reader.run()
    let r = try export(arch, ["--out", fifo])
    close(holder)
    reader.waitUntilExit()
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertEqual(kind(fifo), S_IFIFO, "the FIFO is not replaced")
    let model = try Data(contentsOf: URL(fileURLWithPath: regular))
    XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: received)), model, "the reader gets the model")
  }

  // MARK: - A model

  func testExportsMobileNetV3SmallWithFeatureTaps() throws {
    let out = path("v3.onnx")
    let r = try export(reference, ["--resolution", "64", "--features", "8,16,32", "--out", out])
    XCTAssertEqual(r.status, 0, r.stderr)
    let model = try Data(contentsOf: URL(fileURLWithPath: out))
    XCTAssertGreaterThan(model.count, 1_000_000, "mobilenet-v3-small's weights are in the file")
    XCTAssertTrue(r.stdout.hasPrefix("\(out): mobilenet-v3-small"), r.stdout)
    XCTAssertTrue(r.stdout.contains("input 3×64×64"), r.stdout)
    XCTAssertTrue(r.stdout.contains("outputs stride 8, stride 16, stride 32"), r.stdout)
    XCTAssertEqual(r.stdout.split(separator: "\n").count, 1, r.stdout)
    for name in ["p3", "p4", "p5", "nas.feature_info"] {
      XCTAssertNotNil(model.range(of: Data(name.utf8)), "the model names \(name)")
    }
    XCTAssertEqual(try names(), ["v3.onnx"])
  }

  // MARK: - onnxruntime

  /// scripts/check-onnx-export.sh with the debug build on a few networks: onnx's full checker,
  /// then onnxruntime against `nas infer`, at initial and trained weights. The script makes
  /// its virtual environment (NAS_CHECK_VENV, default .venv-check) from PyPI on the first run.
  func testOnnxruntimeAgreesWithNasInfer() throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = [
      CommandRunner.root.appendingPathComponent("scripts/check-onnx-export.sh").path, "--nas", CommandRunner.binary.path,
      // mobilenet-v3-small and one sample of each shipped space (mnasnet, mobilenetv3, repvit), each at
      // initial weights (logits, and taps 8,16,32) and trained 1 step on fashion-mnist (folded and kept
      // batch norm): 16 checks, about 1.5 min in a debug build on 2 cores.
      "--references", "mobilenet-v3-small", "--samples", "1", "--trained", "1", "--resolution", "64",
      "--train-steps", "1", "--batch-size", "8", "--validation", "16",
    ]
    process.currentDirectoryURL = CommandRunner.root
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    if process.terminationStatus == 3 {
      XCTFail(
        """
        scripts/check-onnx-export.sh could not make its virtual environment: install python3 and python3-venv \
        (apt-get install python3-venv python3-pip) and let pip reach PyPI, or set NAS_CHECK_VENV to a ready one.
        \(output)
        """)
      return
    }
    XCTAssertEqual(process.terminationStatus, 0, output)
    let summary = try XCTUnwrap(output.firstMatch(of: /(\d+) passed, (\d+) failed/), "no summary in:\n\(output)")
    XCTAssertEqual(summary.output.2, "0", output)
    XCTAssertEqual(Int(summary.output.1), 16, output)
  }
}
