import Foundation
import XCTest

/// `nas search --fidelity` through the built binary with the train evaluator on a small random
/// data set: rungs recorded, promoted candidates continuing from their checkpoints in this
/// process, in child processes (`--workers`) and in `nas worker` (`--queue`), and a search
/// killed with SIGKILL resumed to a complete record.
final class FidelitySearchCommandTests: XCTestCase {
  // One folder and database for the class: the tiny space's latency tables are measured once.
  // Each test's searches differ in their batch size, so no test reuses another's results.
  nonisolated(unsafe) static var directory: URL!

  override class func setUp() {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("nas-fidelity-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    try? SearchCommandTests.space.write(to: directory.appendingPathComponent("tiny.space"), atomically: true, encoding: .utf8)
  }

  override class func tearDown() { try? FileManager.default.removeItem(at: directory) }

  var directory: URL { Self.directory }
  var db: String { directory.appendingPathComponent("nas.sqlite").path }

  func arguments(batchSize: Int, _ extra: [String]) -> [String] {
    [
      "search", "--space", directory.appendingPathComponent("tiny.space").path, "--target-ms", "0.001", "--w", "-0.15",
      "--evaluator", "train", "--data", "random:8x8x3", "--batch-size", String(batchSize), "--fidelity", "2,6,18", "--trials", "9",
      "--strategy", "evolution", "--population", "4", "--tournament", "2", "--seed", "3", "--db", db, "--quiet",
      "--measure-top", "0", "--out", directory.path,
    ] + extra
  }

  func sql(_ query: String) throws -> [[String: String]] {
    let r = try CommandRunner.run(["db", "sql", "--db", db, "--json", query])
    XCTAssertEqual(r.status, 0, r.stderr)
    return (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: String]]) ?? []
  }

  struct Row: Equatable {
    var trial: Int, rung: Int, from: Int?, hash: String, reused: Bool
  }

  /// The finished, non-stale evaluations of the run named `name`, by trial; fails on a trial
  /// recorded twice.
  func rows(_ name: String) throws -> [Row] {
    let rows = try sql(
      """
      SELECT e.trial, e.rung, e.continued_from_step, e.architecture_hash, e.reused FROM evaluations e JOIN runs r ON r.id = e.run_id
      WHERE r.name = '\(name)' AND e.status = 'ok' AND (e.message IS NULL OR e.message NOT LIKE 'stale:%') ORDER BY e.trial
      """)
    let out = rows.map {
      Row(
        trial: Int($0["trial"] ?? "") ?? -1, rung: Int($0["rung"] ?? "") ?? -1, from: $0["continued_from_step"].flatMap { Int($0) },
        hash: $0["architecture_hash"] ?? "", reused: $0["reused"] == "1")
    }
    XCTAssertEqual(Set(out.map(\.trial)).count, out.count, "a trial recorded twice")
    return out
  }

  /// Nine candidates at the lowest rung, promotions above, and every promoted evaluation
  /// continued from its rung below's checkpoint (step 2 or 6), not from scratch.
  func checkRungs(_ rows: [Row], _ label: String) {
    XCTAssertEqual(rows.filter { $0.rung == 0 }.count, 9, label)
    XCTAssertGreaterThanOrEqual(rows.filter { $0.rung == 1 }.count, 3, label)
    XCTAssertGreaterThanOrEqual(rows.filter { $0.rung == 2 }.count, 1, label)
    let steps = [0, 2, 6]
    for row in rows where !row.reused {
      XCTAssertEqual(row.from, steps[row.rung], "\(label): trial \(row.trial) at rung \(row.rung)")
    }
  }

  func testRungsContinueFromCheckpointsInProcessInChildrenAndInWorkers() throws {
    let one = try CommandRunner.run(arguments(batchSize: 8, ["--name", "one", "--json"]))
    XCTAssertEqual(one.status, 0, one.stderr)
    checkRungs(try rows("one"), "one")
    XCTAssert(one.stderr.contains("training checkpoints"), "the finished search frees its checkpoints: \(one.stderr)")
    XCTAssertEqual(try sql("SELECT COUNT(*) AS n FROM training_checkpoints").first?["n"], "0")
    let again = try CommandRunner.run(arguments(batchSize: 8, ["--name", "one-again"]))
    XCTAssertEqual(again.status, 0, again.stderr)
    XCTAssertEqual(try rows("one-again").map(\.hash), try rows("one").map(\.hash), "the same settings, the same rungs")
    XCTAssert(try rows("one-again").allSatisfy(\.reused), "every rung's result reused")

    let children = try CommandRunner.run(arguments(batchSize: 9, ["--name", "children", "--workers", "2"]))
    XCTAssertEqual(children.status, 0, children.stderr)
    checkRungs(try rows("children"), "children")

    // Queued: the search and one `nas worker` on this database.
    let search = Process()
    search.executableURL = CommandRunner.binary
    search.arguments = arguments(batchSize: 10, ["--name", "queued", "--queue", "--workers", "2"])
    search.standardOutput = FileHandle.nullDevice
    search.standardError = FileHandle.nullDevice
    try search.run()
    let worker = Process()
    worker.executableURL = CommandRunner.binary
    worker.arguments = ["worker", "--db", db, "--quiet"]
    worker.standardOutput = FileHandle.nullDevice
    worker.standardError = FileHandle.nullDevice
    try worker.run()
    defer {
      for p in [search, worker] where p.isRunning { kill(p.processIdentifier, SIGKILL) }
      worker.waitUntilExit()
    }
    search.waitUntilExit()
    XCTAssertEqual(search.terminationStatus, 0)
    checkRungs(try rows("queued"), "queued")
  }

  func testAKilledSearchResumesWithEveryEvaluationOnce() throws {
    let extra = ["--name", "killed"]
    let process = Process()
    process.executableURL = CommandRunner.binary
    process.arguments = arguments(batchSize: 11, extra)
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    var done = 0
    let deadline = Date().addingTimeInterval(120)
    while done < 11 && Date() < deadline {
      Thread.sleep(forTimeInterval: 0.05)
      done = Int(try sql("SELECT COUNT(*) AS n FROM evaluations e JOIN runs r ON r.id = e.run_id WHERE r.name = 'killed' AND e.status = 'ok'").first?["n"] ?? "0") ?? 0
    }
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    XCTAssertGreaterThanOrEqual(done, 11, "killed after a promotion")
    let resumed = try CommandRunner.run(arguments(batchSize: 11, extra + ["--resume"]))
    XCTAssertEqual(resumed.status, 0, resumed.stderr)
    let killed = try rows("killed")
    checkRungs(killed, "killed and resumed")
    // The same search uninterrupted: it reuses the results (training is deterministic, so they
    // are what it would compute) and must make the same choices.
    let straight = try CommandRunner.run(arguments(batchSize: 11, ["--name", "straight"]))
    XCTAssertEqual(straight.status, 0, straight.stderr)
    XCTAssertEqual(try rows("straight").map(\.hash), killed.map(\.hash), "the resumed search made the uninterrupted one's choices")
    XCTAssertEqual(try rows("straight").map(\.rung), killed.map(\.rung))
    print("fidelity search killed after \(done) evaluations, resumed to \(killed.count)")
  }

  /// `--training-seed` belongs to a trained evaluation: the same candidates under another seed
  /// train anew with the seed in their recorded settings, and child processes (`--workers`)
  /// train with it too (their results equal `nas _evaluate --training-seed` on one thread).
  func testTrainingSeedTrainsAnewAndReachesChildProcesses() throws {
    func search(_ name: String, _ extra: [String]) throws {
      let r = try CommandRunner.run(
        [
          "search", "--space", directory.appendingPathComponent("tiny.space").path, "--target-ms", "0.001", "--w", "-0.15",
          "--evaluator", "train", "--data", "random:8x8x3", "--batch-size", "12", "--steps", "3", "--trials", "3", "--seed", "5",
          "--strategy", "random", "--db", db, "--quiet", "--measure-top", "0", "--out", directory.path, "--name", name,
        ] + extra)
      XCTAssertEqual(r.status, 0, r.stderr)
    }
    func evaluations(_ name: String) throws -> [[String: String]] {
      try sql(
        """
        SELECT e.architecture_hash AS hash, json_extract(e.evaluator_config, '$.seed') AS seed, e.reused, e.accuracy, a.canonical_text AS text
        FROM evaluations e JOIN runs r ON r.id = e.run_id JOIN architectures a ON a.hash = e.architecture_hash
        WHERE r.name = '\(name)' AND e.status = 'ok' ORDER BY e.trial
        """)
    }
    try search("seed-4-children", ["--training-seed", "4", "--workers", "2"])
    try search("seed-0", [])
    let children = try evaluations("seed-4-children"), plain = try evaluations("seed-0")
    XCTAssertEqual(children.count, 3)
    XCTAssertEqual(children.map { $0["hash"] }, plain.map { $0["hash"] }, "the same candidates")
    XCTAssert(children.allSatisfy { $0["seed"] == "4" && $0["reused"] == "0" }, "\(children)")
    XCTAssert(plain.allSatisfy { $0["seed"] == "0" && $0["reused"] == "0" }, "another seed trains anew: \(plain)")
    let file = directory.appendingPathComponent("seeded.arch")
    try (children[0]["text"] ?? "").write(to: file, atomically: true, encoding: .utf8)
    /// `_evaluate`'s accuracy, and its validation loss (which a seed moves even where ten
    /// classes of random images leave accuracy level).
    func evaluate(_ seed: String) throws -> (accuracy: Double?, loss: Double?) {
      let r = try CommandRunner.run(
        ["_evaluate", "--evaluator", "train", "--data", "random:8x8x3", "--batch-size", "12", "--steps", "3", "--training-seed", seed, "--threads", "1", file.path])
      XCTAssertEqual(r.status, 0, r.stderr)
      let last = r.stdout.split(separator: "\n").last.map(String.init) ?? ""
      let json = (try? JSONSerialization.jsonObject(with: Data(last.utf8))) as? [String: Any]
      return (json?["value"] as? Double, (json?["details"] as? [String: Any])?["validation_loss"] as? Double)
    }
    let seeded = try evaluate("4"), unseeded = try evaluate("0")
    XCTAssertNotNil(seeded.loss)
    XCTAssertNotEqual(seeded.loss, unseeded.loss, "the seed changes training")
    XCTAssertEqual(seeded.accuracy, children[0]["accuracy"].flatMap { Double($0) }, "the child trained with seed 4")
  }
}
