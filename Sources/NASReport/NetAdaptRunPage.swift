import Foundation
import NASStore
import NASSupport

/// The report of a NetAdapt run: the path (latency and accuracy per iteration, each cut
/// named) and every proposal of every iteration.
struct NetAdaptRunPage {
  var run: RunRecord
  var path: [ReportRow]
  var proposals: [ReportRow]

  init(run: RunRecord, store: ResultsStore) throws {
    self.run = run
    path = try ReportRow.all(store, "SELECT * FROM netadapt_iterations WHERE run_id = ? ORDER BY iteration", [String(run.id)])
    proposals = try ReportRow.all(
      store, "SELECT * FROM netadapt_proposals WHERE run_id = ? ORDER BY iteration, kind, first_unit, channels_after", [String(run.id)])
  }

  func render(into page: inout HTMLPage) {
    let p = run.settings
    var facts: [(String, String)] = [
      ("command", run.commandLine), ("status", run.status.rawValue), ("seed architecture hash", run.spaceHash ?? "-"),
      ("device profile", run.deviceProfile ?? "-"), ("tool version", run.toolVersion),
      ("started", run.startedAt), ("wall time", run.wallSeconds.map(ProgressReporter.formatDuration) ?? "-"),
      ("iterations", "\(max(0, path.count - 1))"), ("proposals", "\(proposals.count)"),
    ]
    if let t = p["targetMs"] as? Double { facts.append(("target", "\(Format.fixed(t, 3)) ms")) }
    if let r = p["stepRatio"] as? Double { facts.append(("step", "\(Format.fixed(100 * r, 1))% of the seed's latency per iteration")) }
    if let c = run.continuesRun.map(String.init) { facts.append(("continues search run", c)) }
    page.section("run", "Run", [HTMLPage.facts(facts)])
    let latency = path.compactMap { r in r.int("iteration").flatMap { i in r.double("predicted_latency_ms").map { (x: Double(i), y: $0) } } }
    let accuracy = path.compactMap { r in r.int("iteration").flatMap { i in r.double("accuracy").map { (x: Double(i), y: $0) } } }
    page.section(
      "path", "Path",
      (latency.isEmpty ? [HTMLPage.paragraph("No iteration yet.")] : [
        ReportCharts.line(latency, title: "predicted latency per iteration", xLabel: "iteration", yLabel: "latency (ms)", yDecimals: 2),
        ReportCharts.line(accuracy, title: "accuracy after the short fine-tune", xLabel: "iteration", yLabel: "accuracy"),
      ])
        + [
          HTMLPage.table(
            ["iteration", "cut", "predicted ms", "accuracy", "proposals", "hash"],
            path.map { r in
              [
                r["iteration"] ?? "", HTMLPage.escape(r["cut"] ?? "seed"), r.double("predicted_latency_ms").map { Format.fixed($0, 3) } ?? "-",
                r.double("accuracy").map { Format.fixed($0, 4) } ?? "-", r["proposals"] ?? "", "<code>\((r["architecture_hash"] ?? "").prefix(12))</code>",
              ]
            }, numeric: [0, 2, 3, 4])
        ])
    page.section("proposals", "Proposals", [proposalTables()])
  }

  func proposalTables() -> String {
    guard !proposals.isEmpty else { return HTMLPage.paragraph("No proposal yet.") }
    let iterations = Dictionary(grouping: proposals) { $0.int("iteration") ?? 0 }
    return iterations.keys.sorted().map { i in
      let rows = iterations[i]!.map { r -> [String] in
        let units = r["first_unit"] == r["last_unit"] ? (r["first_unit"] ?? "") : "\(r["first_unit"] ?? "")–\(r["last_unit"] ?? "")"
        return [
          HTMLPage.escape(r["kind"] ?? ""), units, "\(r["channels_before"] ?? "")→\(r["channels_after"] ?? "")",
          r.double("predicted_latency_ms").map { Format.fixed($0, 3) } ?? "-", r.double("accuracy").map { Format.fixed($0, 4) } ?? "-",
          r.double("slope").map { Format.fixed($0, 5) } ?? "-", r["chosen"] == "1" ? "chosen" : "",
          HTMLPage.escape(r["status"] == "ok" ? "" : "\(r["status"] ?? ""): \(r["message"] ?? "")"),
        ]
      }
      return "<details\(i == iterations.keys.max() ? " open" : "")><summary>iteration \(i): \(rows.count) proposals</summary>"
        + HTMLPage.table(["kind", "units", "channels", "predicted ms", "accuracy", "slope", "", "failure"], rows, numeric: [3, 4, 5])
        + "</details>"
    }.joined()
  }
}
