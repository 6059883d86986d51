import Foundation
import NASArch
import NASSpace
import NASStore
import NASSupport

/// `nas latency validate`'s work: sample networks of a space (shrunk off the choice grid when
/// asked), predict and measure each, and record the networks and the result under a
/// `validate` run of the results database.
public struct LatencyValidationRun {
  public var spacePath: String
  public var space: SearchSpace
  public var count = 100
  public var seed: UInt64 = 1
  public var shrink = false
  public var threads = 1
  public var policy = NetworkTimingPolicy.standard
  public var passes = 4
  /// Networks timed by `nas bench` to time again with every chunk (0: no drift correction).
  public var references = 8
  public var commandLine = "nas latency validate"
  public var toolVersion = ""

  public init(spacePath: String, space: SearchSpace) {
    self.spacePath = spacePath
    self.space = space
  }

  /// `sampled` or `shrunk`.
  public var kind: String { shrink ? "shrunk" : "sampled" }

  /// Predicts and measures; `shouldStop` ends the measuring early (the run is then interrupted).
  public func run(store: ResultsStore, progress: ProgressReporter? = nil, shouldStop: () -> Bool = { false }) throws -> LatencyValidationReport {
    let archs = try SampledNetworks.architectures(space, count: count, seed: seed, shrink: shrink)
    let predictor = try LatencyService.predictor(store: store, threads: threads)
    let profile = predictor.profile
    let database = try LatencyDatabase(store: store, profile: profile)
    let parameters = [
      "count": "\(count)", "seed": "\(seed)", "kind": kind, "threads": "\(threads)", "rounds": "\(policy.rounds)", "passes": "\(passes)",
      "references": "\(references)",
    ]
    let run = try store.createRun(
      kind: .validate, name: "validate \(kind)", commandLine: commandLine, parametersJSON: try JSONOutput.string(parameters),
      spacePath: spacePath, spaceHash: space.contentHash, seed: seed, toolVersion: toolVersion, deviceProfile: profile.id)
    database.run = run
    let drift = DriftReferences.choose(from: try database.driftReferenceCandidates(), count: references)
    let result = try LatencyValidator(threads: threads, policy: policy, passes: passes, references: drift).validate(
      archs, predictor: predictor, progress: progress, shouldStop: shouldStop,
      record: { arch, timing, predicted, ratio in
        try database.recordNetwork(arch, timing: timing, purpose: .validate, predicted: predicted, driftRatio: ratio)
      })
    let corrected = result.driftCorrected
    try store.recordValidation(
      LatencyValidationRecord(
        profileID: profile.id, spacePath: spacePath, spaceHash: space.contentHash, kind: kind, count: result.count, seed: seed,
        rmseMilliseconds: result.rmse, mape: result.mape, within5: result.within5, within10: result.within10,
        driftRatio: corrected.map { TimingSummary.median($0.ratios) }, correctedMape: corrected?.accuracy.mape,
        correctedWithin5: corrected?.accuracy.within5, correctedWithin10: corrected?.accuracy.within10), run: run)
    let complete = result.count == count && result.rows.allSatisfy { $0.passes.count == passes }
    try store.setRunStatus(run, complete ? .finished : .interrupted)
    return LatencyValidationReport(space: spacePath, kind: kind, seed: seed, threads: threads, profile: profile.id, result: result)
  }
}

/// What `nas latency validate` reports: the validation's settings and its ``ValidationResult``
/// (whose figures `--json` shows at the top level).
public struct LatencyValidationReport: Encodable, Sendable {
  public var space: String
  public var kind: String
  public var seed: UInt64
  public var threads: Int
  public var profile: String
  public var result: ValidationResult

  private struct Settings: Encodable {
    var space: String
    var kind: String
    var seed: UInt64
    var threads: Int
    var profile: String
  }

  public func encode(to encoder: any Encoder) throws {
    try Settings(space: space, kind: kind, seed: seed, threads: threads, profile: profile).encode(to: encoder)
    try result.encode(to: encoder)
  }

  /// The text `nas latency validate` prints: the largest errors (every network when `verbose`)
  /// and the summary lines.
  public func text(verbose: Bool) -> String {
    let rows = verbose ? result.rows : Array(result.rows.sorted { abs($0.errorPercent) > abs($1.errorPercent) }.prefix(5))
    var t = TextTable(
      headers: ["network", "predicted ms", "measured ms", "error %", "corrected ms", "corrected error %"], rightAligned: [1, 2, 3, 4, 5])
    for r in rows {
      t.append([
        r.name, Format.fixed(r.predicted, 3), Format.fixed(r.measured, 3), Format.fixed(r.errorPercent, 1),
        r.correctedMeasured.map { Format.fixed($0, 3) } ?? "-", r.correctedErrorPercent.map { Format.fixed($0, 1) } ?? "-",
      ])
    }
    var lines = verbose ? [] : ["largest errors:"]
    lines.append(t.render())
    lines.append(
      "\n\(space) (\(kind), seed \(seed), \(threads) thread\(threads == 1 ? "" : "s"), profile \(profile)): \(result.count) networks, "
        + "\(result.passes) pass\(result.passes == 1 ? "" : "es")  "
        + "RMSE \(Format.fixed(result.rmse, 3)) ms  MAPE \(Format.fixed(result.mape, 2))%  "
        + "within 5%: \(Format.fixed(100 * result.within5, 1))%  within 10%: \(Format.fixed(100 * result.within10, 1))%  "
        + "mean error \(Format.fixed(result.meanError, 1))%")
    if let c = result.driftCorrected {
      lines.append(
        "drift: \(c.references) reference networks ran \(c.ratios.map { Format.fixed($0, 3) }.joined(separator: ", "))x their `nas bench` times "
          + "(chunk by chunk); against measurements divided by that: MAPE \(Format.fixed(c.accuracy.mape, 2))%  within 5%: \(Format.fixed(100 * c.accuracy.within5, 1))%  "
          + "within 10%: \(Format.fixed(100 * c.accuracy.within10, 1))%  mean error \(Format.fixed(c.accuracy.meanError, 1))%")
    } else {
      lines.append("drift: not measured (no reference networks: --references 0, or `nas bench` timed no whole networks)")
    }
    return lines.joined(separator: "\n")
  }
}

/// Sampled (optionally shrunk) networks of a space: what validation and the throughput
/// measurement work on.
public enum SampledNetworks {
  public static func architectures(_ space: SearchSpace, count: Int, seed: UInt64, shrink: Bool) throws -> [Architecture] {
    var rng = SeededGenerator(seed: seed)
    let shrinker = ChannelShrinker()
    return try (0..<count).map { _ in
      let arch = try space.sample(using: &rng)
      return shrink ? shrinker.shrink(arch, using: &rng) : arch
    }
  }
}
