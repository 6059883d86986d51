import Foundation
import NASArch
import NASLatency
import NASSpace
import NASStore
import NASSupport

/// The report of a search run: what was run, accuracy against latency, the reward over the
/// trials, the best candidates with their per-unit latency and `.arch` text, the choices
/// they made, the predictor's validation and the failed evaluations.
struct SearchRunPage {
  var run: RunRecord
  var evaluations: [StoredEvaluation]
  var predictor: LatencyPredictor?
  var validation: ReportValidation?
  /// The successful evaluations, and the best of them by reward with their architectures.
  let ok: [StoredEvaluation]
  let best: [(evaluation: StoredEvaluation, architecture: Architecture?)]

  /// `top`: how many of the best candidates the table shows.
  init(run: RunRecord, evaluations: [StoredEvaluation], predictor: LatencyPredictor?, validation: ReportValidation?, top: Int = 10) {
    self.run = run
    self.evaluations = evaluations
    self.predictor = predictor
    self.validation = validation
    ok = evaluations.filter { $0.status == .ok }
    // A candidate of successive halving once, at its highest rung (its reward is that rung's).
    var seen = Set<String>()
    let ranked = ok.filter { $0.reward != nil }
      .sorted { $0.ranksAbove($1) || (!$1.ranksAbove($0) && ($0.trial ?? 0) < ($1.trial ?? 0)) }
      .filter { $0.rung == nil || seen.insert($0.hash).inserted }.prefix(top)
    best = ranked.map { e in (e, try? DSL.parseArchitecture(e.canonicalText, file: e.hash)) }
  }

  var reward: (target: Double?, alpha: Double?, beta: Double?) {
    let r = run.settings["reward"] as? [String: Any]
    return (r?["targetMilliseconds"] as? Double, r?["alpha"] as? Double, r?["beta"] as? Double)
  }

  func render(into page: inout HTMLPage) {
    page.section("run", "Run", [HTMLPage.facts(header)])
    let candidates = ok.compactMap { e in
      e.predictedLatencyMs.flatMap { ms in e.accuracy.map { ReportCharts.Candidate(latencyMs: ms, accuracy: $0, measuredMs: e.measuredLatencyMs) } }
    }
    page.section(
      "accuracy-latency", "Accuracy against latency",
      candidates.isEmpty
        ? [HTMLPage.paragraph("No candidate has been evaluated yet.")]
        : [ReportCharts.accuracyLatency(candidates, targetMs: reward.target, accuracyLabel: "accuracy")])
    let trials = ok.compactMap { e in e.reward.map { (trial: e.trial ?? 0, reward: $0) } }
    page.section(
      "reward", "Reward per trial",
      trials.isEmpty ? [HTMLPage.paragraph("No reward yet.")] : [ReportCharts.rewardHistory(trials)])
    if let rungs = rungsChart() { page.section("rungs", "Successive halving", [rungs]) }
    page.section("top", "Best candidates", [topTable()])
    page.section("choices", "Choices of the best candidates", [ChoiceFrequencies(best.compactMap(\.architecture)).html])
    page.section("predictor", "Latency predictor", [predictorText()])
    page.section("failures", "Failed evaluations", [failures()])
  }

  var header: [(String, String)] {
    let p = run.settings
    var facts: [(String, String)] = [
      ("command", run.commandLine), ("status", run.status.rawValue), ("seed", run.seed.map { String(UInt64(bitPattern: $0)) } ?? "-"),
      ("space", run.spacePath ?? "-"), ("space hash", run.spaceHash ?? "-"),
      ("device profile", run.deviceProfile ?? "-"), ("tool version", run.toolVersion),
      ("started", run.startedAt), ("wall time", run.wallSeconds.map(ProgressReporter.formatDuration) ?? "-"),
      ("strategy", p["strategy"] as? String ?? "-"),
      ("evaluations", "\(evaluations.count) (\(ok.count) ok, \(evaluations.count - ok.count) not)"),
    ]
    if let t = reward.target { facts.append(("target", "\(Format.fixed(t, 2)) ms")) }
    if let a = reward.alpha, let b = reward.beta {
      facts.append(("reward", "ACC × (LAT/T)^w, w = \(Format.fixed(a, 3)) where LAT ≤ T and \(Format.fixed(b, 3)) above"))
    }
    if let range = spaceRange { facts.append(("space's predicted latency", "\(Format.fixed(range.min, 2))–\(Format.fixed(range.max, 2)) ms")) }
    return facts
  }

  /// The space's predicted latency range, when its file is still there with the recorded content.
  var spaceRange: (min: Double, max: Double)? {
    guard let predictor, let path = run.spacePath, let space = try? DSL.loadSpace(path: path),
      SpaceIdentity.names(space, recorded: run.spaceHash ?? "")
    else { return nil }
    return try? predictor.predictedRange(of: space)
  }

  /// Each candidate's accuracy per rung, when the run trained in rungs (`--fidelity`).
  func rungsChart() -> String? {
    guard ok.contains(where: { $0.rung != nil }),
      let steps = (run.settings["fidelity"] as? [String: Any])?["rungSteps"] as? [Double]
    else { return nil }
    var byCandidate: [String: [(steps: Double, accuracy: Double)]] = [:]
    var order: [String] = []
    for e in ok.sorted(by: { ($0.trial ?? 0) < ($1.trial ?? 0) }) {
      guard let rung = e.rung, steps.indices.contains(rung), let accuracy = e.accuracy else { continue }
      if byCandidate[e.hash] == nil { order.append(e.hash) }
      byCandidate[e.hash, default: []].append((steps[rung], accuracy))
    }
    let paths = order.map { byCandidate[$0]!.sorted { $0.steps < $1.steps } }
    let counts = steps.indices.map { k in ok.filter { $0.rung == k }.count }
    let text = "Rungs of \(steps.map { Format.fixed($0, 0) }.joined(separator: ", ")) training steps: "
      + zip(steps, counts).map { "\($1) evaluations at \(Format.fixed($0, 0))" }.joined(separator: ", ")
      + ". A promoted candidate continues its training from the rung below."
    return HTMLPage.paragraph(text) + ReportCharts.rungs(paths, best: best.first.flatMap { b in order.firstIndex(of: b.evaluation.hash) })
  }

  func topTable() -> String {
    guard !best.isEmpty else { return HTMLPage.paragraph("No candidate with a reward yet.") }
    let rows = best.map(\.evaluation).map { e -> [String] in
      [
        "<code>\(e.hash.prefix(12))</code>", Format.si(Double(e.macs)), Format.grouped(e.params),
        e.predictedLatencyMs.map { Format.fixed($0, 3) } ?? "-", e.measuredLatencyMs.map { Format.fixed($0, 3) } ?? "-",
        e.accuracy.map { Format.fixed($0, 4) } ?? "-", e.reward.map { Format.fixed($0, 4) } ?? "-", e.reused ? "yes" : "",
      ]
    }
    return HTMLPage.table(
      ["hash", "MACs", "params", "predicted ms", "measured ms", "accuracy", "reward", "reused"], rows, numeric: [1, 2, 3, 4, 5, 6])
      + best.enumerated().map { details($1.evaluation, $1.architecture, open: $0 == 0) }.joined()
  }

  /// The per-unit predicted latency as bars, and the `.arch` text, folded.
  func details(_ e: StoredEvaluation, _ architecture: Architecture?, open: Bool) -> String {
    var inner = ""
    if let predictor, let architecture, let p = try? predictor.predict(architecture) {
      let most = p.units.map(\.microseconds).max() ?? 0
      inner += HTMLPage.table(
        ["unit", "configuration", "predicted"],
        p.units.map { ["\($0.index)", "<code>\(HTMLPage.escape($0.unit))</code>", HTMLPage.bar($0.microseconds, of: most, label: "\(Format.fixed($0.microseconds, 1)) us")] },
        numeric: [0])
    }
    inner += "<pre>\(HTMLPage.escape(e.canonicalText))</pre>"
    let summary = "<code>\(e.hash.prefix(12))</code> (trial \(e.trial.map(String.init) ?? "-")): predicted latency unit by unit, and the .arch text"
    return "<details\(open ? " open" : "")><summary>\(summary)</summary>\(inner)</details>"
  }

  func predictorText() -> String {
    guard let v = validation else {
      return HTMLPage.paragraph("No `nas latency validate` result for this device profile yet; run it to know how far to trust the predicted latencies.")
    }
    return HTMLPage.facts([
      ("last validation", "\(v.count) \(v.kind) networks, \(v.createdAt)"), ("MAPE", "\(Format.fixed(v.mapePercent, 2))%"),
      ("within ±5%", "\(Format.fixed(100 * v.within5, 1))% of the networks"), ("within ±10%", "\(Format.fixed(100 * v.within10, 1))% of the networks"),
    ])
  }

  func failures() -> String {
    let failed = evaluations.filter { $0.status != .ok }
    guard !failed.isEmpty else { return HTMLPage.paragraph("None.") }
    return HTMLPage.table(
      ["trial", "status", "message"], failed.map { [$0.trial.map(String.init) ?? "-", HTMLPage.escape($0.status.rawValue), HTMLPage.escape($0.message ?? "")] }, numeric: [0])
  }
}
