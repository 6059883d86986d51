import Foundation
import XCTest

/// `nas report` through the built binary, read as a person would see it: the pages of a search
/// (written by the search itself), of its bench run, of a search whose every evaluation failed
/// and of a NetAdapt run, each opened in headless Chromium (BrowserCheck); and the errors a
/// user can make.
final class ReportCommandTests: XCTestCase {
  var directory: URL!
  var db: String { directory.appendingPathComponent("nas.sqlite").path }

  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("nas-report-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    try SearchCommandTests.space.write(to: directory.appendingPathComponent("tiny.space"), atomically: true, encoding: .utf8)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

  static let searchSections = ["run", "accuracy-latency", "reward", "top", "choices", "predictor", "failures"]

  func search(evaluator: String, name: String) throws -> CommandRunner.Result {
    try CommandRunner.run([
      "search", "--space", directory.appendingPathComponent("tiny.space").path, "--target-ms", "0.05", "--alpha", "0", "--beta", "-1",
      "--evaluator", evaluator, "--db", db, "--quiet", "--measure-top", "2", "--trials", "8", "--strategy", "random", "--name", name,
      "--out", directory.path,
    ])
  }

  func report(_ run: Int, _ name: String) throws -> URL {
    let out = directory.appendingPathComponent(name)
    let r = try CommandRunner.run(["report", "--run", String(run), "--db", db, "--out", out.path])
    XCTAssertEqual(r.status, 0, r.stderr)
    XCTAssertTrue(r.stdout.hasPrefix("\(out.path): report of run \(run)"), r.stdout)
    return out
  }

  func testEveryKindOfRunRendersInABrowser() throws {
    let found = try search(evaluator: SearchCommandTests.evaluator(pause: "0"), name: "found")
    XCTAssertEqual(found.status, 0, found.stderr)
    let line = try XCTUnwrap(found.stdout.split(separator: "\n").first { $0.hasPrefix("report: ") }, found.stdout)
    let page = URL(fileURLWithPath: String(line.dropFirst("report: ".count)))
    XCTAssertEqual(page.lastPathComponent, "nas-search-run-2-report.html")
    XCTAssertTrue(try String(contentsOf: page, encoding: .utf8).contains("--target-ms 0.05"))
    try BrowserCheck.assertRendered(page, sections: Self.searchSections)

    // The bench run the search started with: predicted against measured.
    try BrowserCheck.assertRendered(try report(1, "bench.html"), sections: ["run", "predicted-measured"])

    // A search whose every evaluation failed: no chart to draw, the failures listed.
    let failing = try search(evaluator: "cmd:echo nothing to say; exit 3", name: "failing")
    XCTAssertEqual(failing.status, 0, failing.stderr)
    let failed = try report(3, "failed.html")
    XCTAssertTrue(try String(contentsOf: failed, encoding: .utf8).contains("No candidate has been evaluated yet."))
    XCTAssertTrue(try String(contentsOf: failed, encoding: .utf8).contains("exit"))
    try BrowserCheck.assertRendered(failed, sections: Self.searchSections)

    // A NetAdapt run of one iteration from the search's best architecture.
    let seed = directory.appendingPathComponent("nas-search-run-2-best.arch").path
    let netadapt = try CommandRunner.run([
      "netadapt", seed, "--target-ratio", "0.5", "--db", db, "--data", "random:8x8x3", "--short-steps", "1", "--long-epochs", "0.001",
      "--rank-images", "10", "--max-iterations", "1", "--step-ratio", "0.05", "--quiet", "--out", directory.path,
    ])
    XCTAssertEqual(netadapt.status, 0, netadapt.stderr)
    XCTAssertTrue(netadapt.stdout.contains("report: "), netadapt.stdout)
    let run = try XCTUnwrap(Int(try XCTUnwrap(netadapt.stdout.split(separator: "\n").first { $0.hasPrefix("report: ") })
      .split(separator: "-").dropLast().last ?? ""))
    let path = try report(run, "netadapt.html")
    XCTAssertTrue(try String(contentsOf: path, encoding: .utf8).contains("<summary>iteration 1:"))
    try BrowserCheck.assertRendered(path, sections: ["run", "path", "proposals"])
  }

  func testMistakesAreRefusedWithTheirReason() throws {
    let missing = try CommandRunner.run(["report", "--run", "1", "--db", directory.appendingPathComponent("none.sqlite").path])
    XCTAssertEqual(missing.status, 64)
    XCTAssertTrue(missing.stderr.contains("no such file"), missing.stderr)
    XCTAssertEqual(try CommandRunner.writeRows(db, rows: 1).status, 0)
    let noRun = try CommandRunner.run(["report", "--run", "9", "--db", db])
    XCTAssertEqual(noRun.status, 1)
    XCTAssertTrue(noRun.stderr.contains("no run 9 (nas db runs lists them)"), noRun.stderr)
  }
}
