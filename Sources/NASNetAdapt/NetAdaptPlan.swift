import Foundation
import NASArch
import NASLatency
import NASStore
import NASSupport

/// What a NetAdapt run will do, decided before any training: the target and why, the seed's
/// predicted latency and an estimate of the time. ``NetAdaptRunner/prepare(stop:)`` makes it
/// and prints it; ``NetAdaptRunner/run(_:stop:)`` carries it out.
public struct NetAdaptPlan {
  public var target: NetAdaptTarget
  public var seedMs: Double
  public var targetMs: Double
  /// Nil when there is nothing to do (``alreadyMet``).
  public var estimate: NetAdaptEstimate?
  /// The settings with the target and the device filled in, as the run stores them.
  public var settings: NetAdaptSettings
  let store: ResultsStore
  let predictor: LatencyPredictor
  var tuner: FineTuner?

  /// Whether the seed already meets a target it did not choose (the search's): nothing to do.
  public var alreadyMet: Bool { !target.given && seedMs <= targetMs }

  /// What `nas netadapt` reports when the seed already meets its search's target; nil otherwise.
  public var alreadyMetReport: AlreadyMet? {
    guard alreadyMet else { return nil }
    let message =
      "the seed's predicted \(Format.fixed(seedMs, 3)) ms is already at or under the \(Format.fixed(targetMs, 3)) ms target; nothing to do "
      + "(give --target-ms or --target-ratio to shrink it further)"
    return AlreadyMet(seedLatencyMs: seedMs, targetMs: targetMs, continuesRun: target.origin?.run, message: message)
  }

  /// The report of a seed that already meets its search's target.
  public struct AlreadyMet: Codable, Sendable {
    public var alreadyMet = true
    public var seedLatencyMs: Double
    public var targetMs: Double
    public var continuesRun: Int64?
    public var message: String
  }
}

extension NetAdaptRunner {
  /// Opens the database, finds the search the seed came from, chooses the target (printing it
  /// and why before the latency tables are measured), predicts the seed's latency, loads the
  /// data and times one step for the estimate. Creates no run.
  public func prepare(stop: AtomicFlag = AtomicFlag()) throws -> NetAdaptPlan {
    let r = request
    var settings = r.settings
    try settings.validate()
    let store = try ResultsStore.open(path: r.databasePath)
    let found = try SearchOrigin.find(
      store: store, seed: r.seed, seedPath: r.seedPath, seedText: try? String(contentsOfFile: r.seedPath, encoding: .utf8),
      databasePath: store.path)
    let target = try NetAdaptTarget.choose(
      settings: settings, origin: found.origin, note: found.note, deviceInUse: DeviceProfile.current(threads: 1).id,
      deviceRequested: r.device, databasePath: store.path)
    log(target.text)
    if target.given, let origin = target.origin {
      log("continues search run \(origin.run) (\(origin.evidence)); recorded with the run")
    }
    let predictor = try latencyPredictor(store: store, stop: stop)
    settings = target.applied(to: settings)
    settings.device = predictor.profile.id
    settings.seedHash = r.seed.canonicalHash
    let seedMs: Double
    do { seedMs = try predictor.milliseconds(r.seed) } catch { throw NetAdaptError.latency(error.description) }
    let targetMs = target.milliseconds(seedMs: seedMs)
    log("seed: \(r.seed.name ?? r.seedPath) predicted \(Format.fixed(seedMs, 3)) ms on \(predictor.profile.id); target \(Format.fixed(targetMs, 3)) ms")
    var plan = NetAdaptPlan(
      target: target, seedMs: seedMs, targetMs: targetMs, estimate: nil, settings: settings, store: store, predictor: predictor, tuner: nil)
    if plan.alreadyMet { return plan }
    guard targetMs < seedMs else {
      throw NetAdaptError.target("\(Format.fixed(targetMs, 3)) ms is not below the seed's predicted \(Format.fixed(seedMs, 3)) ms; nothing to do")
    }
    let tuner = try splits.map { FineTuner(settings: settings, splits: $0) } ?? FineTuner(settings: settings)
    let estimate = NetAdaptEstimate.make(
      settings: settings, seedMs: seedMs, targetMs: targetMs, prunableWidths: PrunableWidth.all(in: r.seed).count,
      images: tuner.estimateImages, cost: try tuner.imageCost(r.seed))
    log(estimate.text)
    (plan.estimate, plan.tuner) = (estimate, tuner)
    return plan
  }
}
