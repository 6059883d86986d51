import Foundation
import XCTest

/// `nas netadapt SEED.arch` with no target, through the built binary: a search's best
/// architecture continues that search (its target, the link recorded), a hand-written seed
/// gets the default ratio, a seed already under its search's target ends without a run, and
/// a search on another device is refused. Budgets are tiny, so each run takes seconds.
final class NetAdaptCommandTests: XCTestCase {
  /// One folder and database for the class: the search's latency tables are measured once.
  nonisolated(unsafe) static var directory: URL?

  var directory: URL { Self.directory! }
  var db: String { directory.appendingPathComponent("nas.sqlite").path }

  override func setUpWithError() throws {
    guard Self.directory == nil else { return }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nas-netadapt-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    try SearchCommandTests.space.write(to: dir.appendingPathComponent("tiny.space"), atomically: true, encoding: .utf8)
    Self.directory = dir
  }

  override class func tearDown() {
    if let directory { try? FileManager.default.removeItem(at: directory) }
    directory = nil
  }

  /// A finished search of the tiny space; returns its run id and best architecture file.
  func search(targetMs: String, name: String) throws -> (run: String, best: String) {
    try FileManager.default.createDirectory(at: directory.appendingPathComponent(name), withIntermediateDirectories: true)
    let r = try CommandRunner.run([
      "search", "--space", directory.appendingPathComponent("tiny.space").path, "--target-ms", targetMs, "--w", "-0.15",
      "--evaluator", SearchCommandTests.evaluator(pause: "0"), "--db", db, "--quiet", "--measure-top", "0", "--trials", "3",
      "--name", name, "--out", directory.appendingPathComponent(name).path, "--json",
    ])
    XCTAssertEqual(r.status, 0, r.stderr)
    let summary = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout)
    let files = try XCTUnwrap(summary["files"] as? [String: String])
    return ("\(try XCTUnwrap(summary["run"]))", try XCTUnwrap(files["best_architecture"]))
  }

  func netadapt(_ seed: String, _ extra: [String] = []) throws -> CommandRunner.Result {
    try FileManager.default.createDirectory(at: directory.appendingPathComponent("netadapt"), withIntermediateDirectories: true)
    return try CommandRunner.run(
      [
        "netadapt", seed, "--db", db, "--data", "random:8x8x3", "--short-steps", "1", "--long-epochs", "0.001", "--rank-images", "10",
        "--max-iterations", "1", "--step-ratio", "0.05", "--quiet", "--out", directory.appendingPathComponent("netadapt").path,
      ] + extra)
  }

  func sql(_ query: String) throws -> [[String: String]] {
    let r = try CommandRunner.run(["db", "sql", "--db", db, "--json", query])
    XCTAssertEqual(r.status, 0, r.stderr)
    return (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: String]]) ?? []
  }

  func netadaptRuns() throws -> Int { Int(try sql("SELECT COUNT(*) AS n FROM runs WHERE kind = 'netadapt'").first?["n"] ?? "") ?? -1 }

  /// Where `text` first appears in `output`, failing when it does not.
  func position(_ text: String, in output: String, file: StaticString = #filePath, line: UInt = #line) -> String.Index {
    guard let range = output.range(of: text) else {
      XCTFail("'\(text)' missing from:\n\(output)", file: file, line: line)
      return output.endIndex
    }
    return range.lowerBound
  }

  func testASearchResultContinuesItsSearchsTargetAndRecordsTheLink() throws {
    let (run, best) = try search(targetMs: "0.001", name: "small-target")
    let r = try netadapt(best)
    XCTAssertEqual(r.status, 0, r.stderr)
    let target = position("target: 0.001 ms, search run \(run)'s --target-ms", in: r.stderr)
    let seed = position("seed: ", in: r.stderr)
    let estimate = position("estimate (", in: r.stderr)
    let work = position("training the seed first", in: r.stderr)
    XCTAssertTrue(target < seed && seed < estimate && estimate < work, r.stderr)
    XCTAssertTrue(r.stdout.contains("target 0.001 ms"), r.stdout)

    let link = try sql("SELECT id, continues_run FROM runs WHERE kind = 'netadapt' ORDER BY id DESC LIMIT 1")
    XCTAssertEqual(link.first?["continues_run"], run)
    let parameters = try sql("SELECT parameters FROM runs WHERE kind = 'netadapt' ORDER BY id DESC LIMIT 1").first?["parameters"] ?? ""
    XCTAssertTrue(parameters.contains("\"targetMs\" : 0.001"), "the chosen target is the run's setting: \(parameters)")
    let listed = try CommandRunner.run(["db", "runs", "--db", db, "--json"])
    let runs = (try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: String?]]) ?? []
    let netadaptRow = runs.first { $0["id"] == link.first?["id"] }
    XCTAssertEqual(netadaptRow?["continues"] ?? nil, run, "nas db runs shows the path: \(listed.stdout)")
  }

  func testAHandWrittenSeedGetsTheDefaultRatioAndNoLink() throws {
    _ = try search(targetMs: "0.001", name: "for-tables")
    // A seed no search evaluated: the tiny space's shape, written by hand with widths of its own.
    let seed = directory.appendingPathComponent("hand.arch")
    try """
      name hand
      input 32 channels=3
      classes 10
      stem conv k=3 s=2 out=16 act=relu
      block mbconv k=3 s=2 mid=48 out=24 act=relu
      head pool
      classifier
      """.write(to: seed, atomically: true, encoding: .utf8)
    let before = try netadaptRuns()
    let r = try netadapt(seed.path)
    XCTAssertEqual(r.status, 0, r.stderr)
    let target = position("target: 0.80 of the seed's predicted latency, no search run in \(db) evaluated this architecture", in: r.stderr)
    let seedLine = position("seed: hand predicted", in: r.stderr)
    let work = position("training the seed first", in: r.stderr)
    XCTAssertTrue(target < seedLine && seedLine < work, r.stderr)
    if let measuring = r.stderr.range(of: "measuring ") { XCTAssertTrue(target < measuring.lowerBound, "the target comes before the tables: \(r.stderr)") }
    XCTAssertEqual(try netadaptRuns(), before + 1)
    let row = try sql("SELECT continues_run, parameters FROM runs WHERE kind = 'netadapt' ORDER BY id DESC LIMIT 1").first
    XCTAssertEqual(row?["continues_run"], "", "no search behind a hand-written seed (nas db prints NULL as empty)")
    XCTAssertTrue(row?["parameters"]?.contains("\"targetRatio\" : 0.8") ?? false, "\(String(describing: row))")

    // The summary names a command that trains the written network further; it runs as printed.
    let line = try XCTUnwrap(r.stdout.split(separator: "\n").first { $0.hasPrefix("train it further from these weights") }, r.stdout)
    let command = try XCTUnwrap(line.range(of: ": nas ").map { line[$0.upperBound...] }, String(line))
    let words = command.split(separator: " ").map(String.init)
    XCTAssertTrue(words.contains("random:8x8x3"), "the run's --data: \(command)")
    let save = try XCTUnwrap(words.firstIndex(of: "--save").map { words[$0 + 1] }, String(command))
    let trained = try CommandRunner.run(words)
    XCTAssertEqual(trained.status, 0, trained.stderr)
    XCTAssertTrue(FileManager.default.fileExists(atPath: save), save)
  }

  func testASeedAlreadyUnderItsSearchsTargetEndsWithoutARun() throws {
    let (run, best) = try search(targetMs: "1000", name: "large-target")
    let before = try netadaptRuns()
    let r = try netadapt(best)
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertTrue(r.stderr.contains("target: 1000.000 ms, search run \(run)'s --target-ms"), r.stderr)
    XCTAssertTrue(r.stdout.contains("already at or under the 1000.000 ms target; nothing to do"), r.stdout)
    XCTAssertFalse(r.stderr.contains("training the seed"), r.stderr)
    XCTAssertEqual(try netadaptRuns(), before, "no netadapt run is created")

    let json = try netadapt(best, ["--json"])
    XCTAssertEqual(json.status, 0, json.stderr)
    let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any], json.stdout)
    XCTAssertEqual(object["already_met"] as? Bool, true)
    XCTAssertEqual("\(object["continues_run"] ?? "")", run)
  }

  func testASearchOnAnotherDeviceIsRefusedNamingBoth() throws {
    let (run, best) = try search(targetMs: "0.001", name: "other-device")
    let device = try XCTUnwrap(try sql("SELECT device_profile FROM runs WHERE id = \(run)").first?["device_profile"])
    let before = try netadaptRuns()
    let r = try netadapt(best, ["--device", "f00dbeef"])
    XCTAssertNotEqual(r.status, 0)
    XCTAssertTrue(r.stderr.contains(device) && r.stderr.contains("--device f00dbeef") && r.stderr.contains("search run \(run)"), r.stderr)
    XCTAssertEqual(try netadaptRuns(), before)
    // With a target of its own the seed may go to another device (and the profile is then looked up).
    let given = try netadapt(best, ["--device", "f00dbeef", "--target-ratio", "0.5"])
    XCTAssertFalse(given.stderr.contains("the seed continues search run"), given.stderr)
  }
}
