import Foundation
import NASArch
import NASStore
import NASSupport

/// The search run a seed architecture came from, found in the results database.
///
/// MobileNetV3 ran NetAdapt right after its platform-aware search, to bring the searched
/// network down to the search's latency target; a seed that is a search result continues
/// that search by default.
public struct SearchOrigin: Sendable, Hashable {
  public var run: Int64
  /// The search's `--target-ms`; nil when its stored settings do not name one.
  public var targetMs: Double?
  /// The device profile the search predicted latencies for.
  public var device: String
  /// How the seed was matched to the run, for messages.
  public var evidence: String

  /// The search run `seed` is a result of: one whose evaluations include its canonical hash
  /// (the run its header names, if it is among them, else the newest), else the run its
  /// `# nas search run N:` header names. `note` says why a header's run was not used.
  public static func find(
    store: ResultsStore, seed: Architecture, seedPath: String, seedText: String?, databasePath: String
  ) throws -> (origin: SearchOrigin?, note: String?) {
    let named = seedText.flatMap(headerRun)
    let evaluating = try store.searchRuns(evaluating: seed.canonicalHash)
    if let record = evaluating.first(where: { $0.id == named }) ?? evaluating.first {
      return (origin(record, evidence: "\(seedPath) is one of its evaluated architectures"), nil)
    }
    guard let named else { return (nil, nil) }
    if let record = try store.searchRun(named) {
      return (origin(record, evidence: "\(seedPath)'s header names it (edited since: the run never evaluated this architecture)"), nil)
    }
    return (nil, "\(seedPath)'s header names search run \(named), which \(databasePath) does not hold; give that search's --db to continue it")
  }

  /// The run number in a leading `# nas search run N: ...` comment line, as `nas search` writes
  /// above its best architecture.
  public static func headerRun(_ text: String) -> Int64? {
    for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
      let trimmed = line.trimmingCharacters(in: .whitespaces)
      guard trimmed.hasPrefix("#") else { return nil }
      let words = trimmed.dropFirst().split(separator: " ")
      if words.count >= 4, words[0] == "nas", words[1] == "search", words[2] == "run", words[3].hasSuffix(":"),
        let run = Int64(words[3].dropLast())
      {
        return run
      }
    }
    return nil
  }

  static func origin(_ record: RunRecord, evidence: String) -> SearchOrigin {
    // NASNetAdapt does not depend on NASSearch, so the two fields are read from the stored
    // SearchConfiguration's JSON rather than by decoding the type.
    let object = (try? JSONSerialization.jsonObject(with: Data(record.parameters.utf8))) as? [String: Any]
    let target = ((object?["reward"] as? [String: Any])?["targetMilliseconds"] as? NSNumber)?.doubleValue
    let device = record.deviceProfile ?? (object?["device"] as? String) ?? ""
    return SearchOrigin(run: record.id, targetMs: target.flatMap { $0 > 0 && $0.isFinite ? $0 : nil }, device: device, evidence: evidence)
  }
}

/// The latency target of a run and why it was chosen: `--target-ms` or `--target-ratio` when
/// given; else the `--target-ms` of the search the seed came from, on that search's device;
/// else ``defaultRatio`` of the seed's predicted latency.
public struct NetAdaptTarget: Sendable, Hashable {
  /// The target of a seed with no search behind it, as a fraction of its predicted latency.
  public static let defaultRatio = 0.8

  public enum Value: Sendable, Hashable {
    case milliseconds(Double)
    case ratio(Double)
  }

  public var value: Value
  /// Whether the target was given on the command line (not chosen by default).
  public var given: Bool
  /// The search run the seed continues (recorded with the run whether or not its target is used).
  public var origin: SearchOrigin?
  /// Why this target, in words.
  public var reason: String

  /// The target for `settings` and the seed's origin. A target taken from a search is only
  /// meaningful on the search's device profile, so another profile is refused, naming both.
  public static func choose(
    settings: NetAdaptSettings, origin: SearchOrigin?, note: String?, deviceInUse: String, deviceRequested: String?, databasePath: String
  ) throws(NetAdaptError) -> NetAdaptTarget {
    if let ms = settings.targetMs {
      return NetAdaptTarget(value: .milliseconds(ms), given: true, origin: origin, reason: "--target-ms")
    }
    if let ratio = settings.targetRatio {
      return NetAdaptTarget(value: .ratio(ratio), given: true, origin: origin, reason: "--target-ratio")
    }
    let fallback = "the default for a seed with no search behind it; give --target-ms or --target-ratio for another"
    guard let origin else {
      let why = note ?? "no search run in \(databasePath) evaluated this architecture"
      return NetAdaptTarget(value: .ratio(defaultRatio), given: false, origin: nil, reason: "\(why) (\(fallback))")
    }
    guard let ms = origin.targetMs else {
      return NetAdaptTarget(
        value: .ratio(defaultRatio), given: false, origin: origin, reason: "search run \(origin.run)'s settings name no latency target (\(fallback))")
    }
    let matches = deviceRequested.map { origin.device.hasPrefix($0) } ?? (origin.device == deviceInUse)
    guard matches else {
      let inUse = deviceRequested.map { "--device \($0)" } ?? "this machine at one thread, profile \(deviceInUse)"
      throw .target(
        "the seed continues search run \(origin.run), whose \(Format.fixed(ms, 3)) ms target is for device profile \(origin.device), "
          + "but this run predicts latency on \(inUse); pass --device \(origin.device) to continue the search on its device, "
          + "or give --target-ms or --target-ratio for this one")
    }
    return NetAdaptTarget(
      value: .milliseconds(ms), given: false, origin: origin,
      reason: "search run \(origin.run)'s --target-ms on profile \(origin.device) (\(origin.evidence)), as MobileNetV3 ran NetAdapt after its search")
  }

  /// The target in milliseconds for a seed predicted at `seedMs`.
  public func milliseconds(seedMs: Double) -> Double {
    switch value {
    case .milliseconds(let ms): return ms
    case .ratio(let r): return seedMs * r
    }
  }

  /// `settings` with this target filled in, as the run stores them (so `--resume` without a
  /// target resolves to the same settings).
  public func applied(to settings: NetAdaptSettings) -> NetAdaptSettings {
    var s = settings
    switch value {
    case .milliseconds(let ms): (s.targetMs, s.targetRatio) = (ms, nil)
    case .ratio(let r): (s.targetMs, s.targetRatio) = (nil, r)
    }
    return s
  }

  /// The line printed before any work: the target and why.
  public var text: String {
    switch value {
    case .milliseconds(let ms): return "target: \(Format.fixed(ms, 3)) ms, \(reason)"
    case .ratio(let r): return "target: \(Format.fixed(r, 2)) of the seed's predicted latency, \(reason)"
    }
  }
}
