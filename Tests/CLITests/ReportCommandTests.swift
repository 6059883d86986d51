import Foundation
import XCTest

/// `nas report` through the built binary: the page a search writes at its end, the page of its
/// bench run, and the errors a user can make.
final class ReportCommandTests: XCTestCase {
  var directory: URL!

  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("nas-report-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    try SearchCommandTests.space.write(to: directory.appendingPathComponent("tiny.space"), atomically: true, encoding: .utf8)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

  func testASearchWritesItsReportAndEveryRunHasOne() throws {
    let db = directory.appendingPathComponent("nas.sqlite").path
    let search = try CommandRunner.run([
      "search", "--space", directory.appendingPathComponent("tiny.space").path, "--target-ms", "0.05", "--alpha", "0", "--beta", "-1",
      "--evaluator", SearchCommandTests.evaluator(pause: "0"), "--db", db, "--quiet", "--measure-top", "2", "--trials", "8",
      "--strategy", "random",
    ])
    XCTAssertEqual(search.status, 0, search.stderr)
    let line = try XCTUnwrap(search.stdout.split(separator: "\n").first { $0.hasPrefix("report: ") })
    let page = String(line.dropFirst("report: ".count))
    XCTAssertEqual(URL(fileURLWithPath: page).lastPathComponent, "nas-search-run-2-report.html")
    let html = try String(contentsOfFile: page, encoding: .utf8)
    for id in ["run", "accuracy-latency", "reward", "top", "choices", "predictor", "failures"] {
      XCTAssertTrue(html.contains(#"<section id="\#(id)">"#), id)
    }
    XCTAssertTrue(html.contains("--target-ms 0.05"))

    // The bench run the search started with: predicted against measured.
    let out = directory.appendingPathComponent("bench.html").path
    let bench = try CommandRunner.run(["report", "--run", "1", "--db", db, "--out", out])
    XCTAssertEqual(bench.status, 0, bench.stderr)
    XCTAssertTrue(bench.stdout.hasPrefix("\(out): report of run 1"))
    XCTAssertTrue(try String(contentsOfFile: out, encoding: .utf8).contains(#"<section id="predicted-measured">"#))

    let missing = try CommandRunner.run(["report", "--run", "9", "--db", db, "--out", out])
    XCTAssertEqual(missing.status, 1)
    XCTAssertTrue(missing.stderr.contains("no run 9"), missing.stderr)
    let noDatabase = try CommandRunner.run(["report", "--run", "1", "--db", directory.appendingPathComponent("none.sqlite").path])
    XCTAssertEqual(noDatabase.status, 64)
    XCTAssertTrue(noDatabase.stderr.contains("no such file"), noDatabase.stderr)
  }
}
