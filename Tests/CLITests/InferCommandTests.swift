import Foundation
import NASSupport
import XCTest

/// `nas infer`: the files it writes, their shapes, and what it refuses before any work.
final class InferCommandTests: XCTestCase {
  var directory: URL!
  let reference = "search-spaces/reference/mobilenet-v3-small.arch"

  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("nas-infer-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

  func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

  /// Random images of `shape` saved as .npy.
  func images(_ shape: [Int], name: String = "x.npy") throws -> String {
    var rng = SeededGenerator(seed: 3)
    try NumpyArray(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in Float(rng.normal()) }).write(to: path(name))
    return path(name)
  }

  func infer(_ arch: String, _ extra: [String]) throws -> CommandRunner.Result {
    try CommandRunner.run(["infer", arch] + extra)
  }

  func testWritesLogitsAndTheTapsArchInfoReports() throws {
    let x = try images([2, 3, 32, 32])
    let out = path("out")
    let r = try infer(reference, ["--resolution", "32", "--input", x, "--output", out, "--features", "8,16,32", "--units", "3"])
    XCTAssertEqual(r.status, 0, r.stderr)
    let info = try CommandRunner.run(["arch", "info", reference, "--resolution", "32", "--features", "8,16,32", "--json"])
    XCTAssertEqual(info.status, 0, info.stderr)
    let json = try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any]
    let taps = try XCTUnwrap((json?["features"] as? [String: Any])?["taps"] as? [[String: Any]])
    XCTAssertEqual(taps.compactMap { $0["name"] as? String }, ["p3", "p4", "p5"])
    XCTAssertEqual(try NumpyArray.read(path: "\(out)/logits.npy").shape, [2, 1000])
    XCTAssertTrue(r.stdout.contains("\(out)/logits.npy [2, 1000]"), r.stdout)
    for tap in taps {
      let name = try XCTUnwrap(tap["name"] as? String)
      let shape = [2] + ["channels", "height", "width"].compactMap { tap[$0] as? Int }
      let map = try NumpyArray.read(path: "\(out)/\(name).npy")
      XCTAssertEqual(map.shape, shape, name)
      XCTAssertTrue(r.stdout.contains("\(out)/\(name).npy [\(shape.map(String.init).joined(separator: ", "))]"), r.stdout)
      if tap["unit"] as? Int == 3 {
        XCTAssertEqual(try NumpyArray.read(path: "\(out)/unit3.npy"), map, "--units 3 is the same map as the tap on unit 3")
      }
    }
    XCTAssertEqual(r.stdout.split(separator: "\n").count, 5, "one line per file: \(r.stdout)")
  }

  func testTheSeedChoosesTheInitialisationAndTheSameSeedRepeats() throws {
    let x = try images([1, 3, 32, 32])
    var logits: [[Float]] = []
    for (folder, seed) in [("a", ["--seed", "0"]), ("b", []), ("c", ["--seed", "1"])] {
      let r = try infer(reference, ["--resolution", "32", "--input", x, "--output", path(folder)] + seed)
      XCTAssertEqual(r.status, 0, r.stderr)
      logits.append(try NumpyArray.read(path: path("\(folder)/logits.npy")).values)
    }
    XCTAssertEqual(logits[0], logits[1], "the default seed is 0, and a seed repeats")
    XCTAssertNotEqual(logits[0], logits[2])
  }

  func testBadRequestsAreRefusedBeforeAnyWork() throws {
    let good = try images([2, 3, 32, 32])
    let channelsLast = try images([2, 32, 32, 3], name: "nhwc.npy")
    try Data("{\"x\": 1}".utf8).write(to: URL(fileURLWithPath: path("not.npy")))
    // Weights recorded for another architecture (no tensors needed: the metadata decides).
    let header = """
      {"__metadata__":{"nas.architecture_hash":"0123456789abcdef0123","nas.architecture":"name someone-else\\ninput 8 channels=1\\n"}}
      """
    let bytes = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian, Array.init) + Array(header.utf8)
    try Data(bytes).write(to: URL(fileURLWithPath: path("other.safetensors")))
    let out = path("never")
    let cases: [([String], String)] = [
      (["--input", channelsLast], "[N, 3, 32, 32]"),
      (["--input", path("missing.npy")], "no such file"),
      (["--input", path("not.npy")], "not a .npy file"),
      (["--input", good, "--features", "64"], "no feature map at stride 64"),
      (["--input", good, "--units", "99"], "unit 99 does not exist"),
      (["--input", good, "--weights", path("other.safetensors")], "someone-else (0123456789ab)"),
      (["--input", good, "--weights", path("other.safetensors"), "--seed", "1"], "give one of them"),
      (["--input", good, "--threads", "0"], "--threads"),
    ]
    for (extra, fragment) in cases {
      let r = try infer(reference, ["--resolution", "32", "--output", out] + extra)
      XCTAssertNotEqual(r.status, 0, "\(extra)")
      XCTAssertTrue(r.stderr.contains(fragment), "expected '\(fragment)' for \(extra) in: \(r.stderr)")
      XCTAssertTrue(r.stdout.isEmpty, r.stdout)
      XCTAssertFalse(FileManager.default.fileExists(atPath: out), "nothing is written for \(extra)")
    }
    let r = try infer(reference, ["--resolution", "32", "--output", out, "--input", good, "--weights", path("other.safetensors")])
    XCTAssertTrue(r.stderr.contains("mobilenet-v3-small"), "names the architecture too: \(r.stderr)")
  }

  /// Weights `nas train` saved for the architecture's proxy (the data set's input and classes)
  /// run the proxy, which takes the proxy's images.
  func testProxyWeightsRunTheNetworkTheyWereTrainedFor() throws {
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
    let weights = path("w.safetensors")
    let train = try CommandRunner.run([
      "train", arch, "--data", "random:8x8x1", "--steps", "1", "--batch-size", "4", "--validation", "10", "--quiet", "--save", weights,
    ])
    XCTAssertEqual(train.status, 0, train.stderr)
    let deploymentImages = try images([2, 3, 16, 16])
    let refused = try infer(arch, ["--weights", weights, "--input", deploymentImages, "--output", path("out")])
    XCTAssertNotEqual(refused.status, 0)
    XCTAssertTrue(refused.stderr.contains("[N, 1, 8, 8]"), "the proxy's input: \(refused.stderr)")
    let proxyImages = try images([2, 1, 8, 8], name: "proxy.npy")
    let r = try infer(arch, ["--weights", weights, "--input", proxyImages, "--output", path("out")])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertTrue(r.stdout.contains("running the network the weights were trained for"), r.stdout)
    XCTAssertEqual(try NumpyArray.read(path: path("out/logits.npy")).shape, [2, 10], "random: data has 10 classes")
  }
}
