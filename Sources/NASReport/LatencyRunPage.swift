import Foundation
import NASStore
import NASSupport

/// The report of a bench or validate run: the whole networks it timed, predicted against
/// measured, and the validation's figures.
struct LatencyRunPage {
  var run: RunRecord
  var networks: [ReportRow]
  var validation: ReportRow?

  init(run: RunRecord, store: ResultsStore) throws {
    self.run = run
    networks = try ReportRow.all(
      store, "SELECT architecture_hash, purpose, milliseconds, predicted_ms, drift_ratio FROM latency_networks WHERE run_id = ? ORDER BY id",
      [String(run.id)])
    validation = try ReportRow.all(store, "SELECT * FROM latency_validations WHERE run_id = ? ORDER BY id DESC LIMIT 1", [String(run.id)]).first
  }

  func render(into page: inout HTMLPage) {
    var facts: [(String, String)] = [
      ("command", run.commandLine), ("kind", run.kind.rawValue), ("status", run.status.rawValue), ("space", run.spacePath ?? "-"),
      ("device profile", run.deviceProfile ?? "-"), ("tool version", run.toolVersion),
      ("started", run.startedAt), ("wall time", run.wallSeconds.map(ProgressReporter.formatDuration) ?? "-"),
      ("whole networks timed", "\(networks.count)"),
    ]
    if let v = validation {
      facts += [
        ("networks validated", v["count"] ?? ""), ("MAPE", "\(v.double("mape").map { Format.fixed($0, 2) } ?? "-")%"),
        ("within ±5%", "\(v.double("within5").map { Format.fixed(100 * $0, 1) } ?? "-")% of the networks"),
        ("within ±10%", "\(v.double("within10").map { Format.fixed(100 * $0, 1) } ?? "-")% of the networks"),
      ]
      if let m = v.double("corrected_mape") { facts.append(("MAPE against drift-corrected measurements", "\(Format.fixed(m, 2))%")) }
    }
    page.section("run", "Run", [HTMLPage.facts(facts)])
    let points = networks.compactMap { r in r.double("predicted_ms").flatMap { p in r.double("milliseconds").map { (predicted: p, measured: $0) } } }
    page.section(
      "predicted-measured", "Predicted against measured",
      points.isEmpty
        ? [HTMLPage.paragraph("No network of this run has both a prediction and a measurement (a bench run's fit networks are predicted after the fit).")]
        : [ReportCharts.predictedMeasured(points, title: "whole networks: measured against predicted latency")])
  }
}
