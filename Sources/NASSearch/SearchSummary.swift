import Foundation
import NASStore
import NASSupport

/// What a search found, read back from the results store: the `--json` object and the table
/// `nas search` prints at the end.
public struct SearchSummary: Codable, Sendable {
  /// One candidate of the top table or the Pareto front.
  public struct Candidate: Codable, Sendable {
    public var trial: Int?
    /// Successive halving's rung of this result (a candidate's highest); nil in a flat search.
    public var rung: Int?
    public var hash: String
    public var reward: Double
    public var accuracy: Double
    public var predictedLatencyMs: Double?
    public var measuredLatencyMs: Double?
    public var macs: Int
    public var params: Int
  }

  /// Files written at the end of a finished run.
  public struct Files: Codable, Sendable {
    public var bestArchitecture: String?
    public var plot: String?
  }

  public var run: Int64
  public var interrupted: Bool
  public var trials: Int
  public var failed: Int
  public var reused: Int
  public var evaluator: String
  /// Successive halving's rungs (`--fidelity`) and how many evaluations finished at each.
  public var fidelity: FidelitySchedule?
  public var evaluationsPerRung: [Int]?
  public var device: String
  public var targetMs: Double
  public var alpha: Double
  public var beta: Double
  public var spaceLatencyMinMs: Double
  public var spaceLatencyMaxMs: Double
  public var bestHash: String?
  public var bestReward: Double?
  public var bestAccuracy: Double?
  public var bestLatencyMs: Double?
  public var bestMeasuredLatencyMs: Double?
  public var top: [Candidate]
  public var front: [Candidate]
  public var files: Files?
  /// The run's HTML report (`nas report`), when the command wrote one.
  public var reportFile: String?
  public var warnings: [String]

  static func make(
    store: ResultsStore, run: Int64, configuration: SearchConfiguration, range: (min: Double, max: Double), warnings: [String],
    interrupted: Bool, files: Files?, topCount: Int = 10
  ) throws -> SearchSummary {
    let all = try store.finishedEvaluations(run: run)
    let ok = all.filter { $0.status == .ok && $0.accuracy != nil }
    func candidate(_ e: StoredEvaluation) -> Candidate {
      Candidate(
        trial: e.trial, rung: e.rung, hash: e.hash, reward: e.reward ?? 0, accuracy: e.accuracy ?? 0, predictedLatencyMs: e.predictedLatencyMs,
        measuredLatencyMs: e.measuredLatencyMs, macs: e.macs, params: e.params)
    }
    var seen = Set<String>()
    let ranked = ok.sorted { $0.ranksAbove($1) }.filter { seen.insert($0.hash).inserted }
    // Like with like: every candidate has a predicted latency, only the best few a measured one.
    // Each candidate once, at its highest rung.
    let points = ranked.map { (latency: $0.predictedLatencyMs ?? .infinity, accuracy: $0.accuracy!) }
    let front = ParetoFront.indices(points).map { candidate(ranked[$0]) }
    let best = ranked.first
    return SearchSummary(
      run: run, interrupted: interrupted, trials: all.count, failed: all.filter { $0.status != .ok }.count,
      reused: all.filter(\.reused).count, evaluator: configuration.evaluator, fidelity: configuration.fidelity,
      evaluationsPerRung: configuration.fidelity.map { f in (0...f.topRung).map { k in ok.filter { $0.rung == k }.count } },
      device: configuration.device,
      targetMs: configuration.reward.targetMilliseconds, alpha: configuration.reward.alpha, beta: configuration.reward.beta,
      spaceLatencyMinMs: range.min, spaceLatencyMaxMs: range.max, bestHash: best?.hash, bestReward: best?.reward,
      bestAccuracy: best?.accuracy, bestLatencyMs: best?.predictedLatencyMs, bestMeasuredLatencyMs: best?.measuredLatencyMs,
      top: ranked.prefix(topCount).map(candidate), front: front, files: files, warnings: warnings)
  }

  /// The end-of-run report for a terminal.
  public func text(databasePath: String) -> String {
    func ms(_ v: Double?) -> String { v.map { Format.fixed($0, 3) } ?? "-" }
    // Zero-cost scores can be huge (synflow sums over every weight).
    func value(_ v: Double) -> String { abs(v) < 1e4 ? Format.fixed(v, 4) : String(format: "%.4g", v) }
    func table(_ rows: [Candidate]) -> String {
      let rungs = fidelity != nil
      let headers = ["trial"] + (rungs ? ["rung"] : []) + ["reward", "accuracy", "predicted ms", "measured ms", "MACs", "params", "hash"]
      var t = TextTable(headers: headers, rightAligned: Set(0..<(headers.count - 1)))
      for c in rows {
        let first: [String] = [c.trial.map(String.init) ?? "-"] + (rungs ? [c.rung.map(String.init) ?? "-"] : [])
        t.append(first + [
          value(c.reward), value(c.accuracy), ms(c.predictedLatencyMs),
          ms(c.measuredLatencyMs), Format.si(Double(c.macs)), Format.grouped(c.params), String(c.hash.prefix(12)),
        ])
      }
      return t.render()
    }
    var out = "run \(run): \(trials) trials (\(failed) failed, \(reused) reused) on \(device); target \(Format.fixed(targetMs, 2)) ms, "
    out += alpha == beta ? "w \(alpha)" : "alpha \(alpha), beta \(beta)"
    out += "; the space's predicted latency spans \(Format.fixed(spaceLatencyMinMs, 2))–\(Format.fixed(spaceLatencyMaxMs, 2)) ms\n"
    if let fidelity, let counts = evaluationsPerRung {
      out += "successive halving, \(fidelity): "
      out += zip(fidelity.rungSteps, counts).map { "\($1) finished at \($0) steps" }.joined(separator: ", ") + "\n"
    }
    if interrupted {
      out += "interrupted: continue with the same command and --resume (nothing evaluated is lost)\n"
    }
    if top.isEmpty {
      out += "no successful evaluation yet (nas db show / nas db sql to see the failures)\n"
      return out
    }
    out += "\nbest candidates by reward:\n" + table(top) + "\n"
    out += "\naccuracy–latency Pareto front (\(front.count) candidates, on predicted latency; measured beside it where timed):\n" + table(front) + "\n"
    if let f = files {
      if let a = f.bestArchitecture { out += "\nbest architecture: \(a)" }
      if let p = f.plot { out += "\nplot: \(p)" }
    }
    if let reportFile { out += "\nreport: \(reportFile)" }
    out += "\nquery it later: nas db top --run \(run) --db \(databasePath)"
    return out
  }
}
