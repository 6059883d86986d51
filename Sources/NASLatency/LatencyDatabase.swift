import Foundation
import NASArch
import NASSpace
import NASStore

/// The latency tables of one device profile in the results database.
public final class LatencyDatabase: LatencySampleSink {
  public let store: ResultsStore
  public let profile: DeviceProfile
  /// The run new samples and timings are attributed to.
  public var run: Int64?

  /// Opens the tables of `profile`, recording the profile when it is new.
  public init(store: ResultsStore, profile: DeviceProfile) throws {
    self.store = store
    self.profile = profile
    try store.recordProfile(Self.record(profile))
  }

  static func record(_ p: DeviceProfile) -> LatencyProfileRecord { p.record }

  /// The profile `id` names (a unique prefix is enough), or this machine at `threads` threads
  /// when `id` is nil. An id nobody measured or imported is an error listing the known ones.
  public static func resolveProfile(id: String?, threads: Int, in store: ResultsStore) throws -> DeviceProfile {
    guard let id else { return DeviceProfile.current(threads: threads) }
    let known = try store.profiles()
    let matches = known.filter { $0.id.hasPrefix(id.lowercased()) }
    guard matches.count == 1, let r = matches.first else {
      throw LatencyError.unknownProfile(id: id, known: known.map { "\($0.id) (\($0.cpuModel), \($0.threads) thread\($0.threads == 1 ? "" : "s"))" })
    }
    return DeviceProfile(record: r)
  }

  /// Samples of the current statistic per unit key (older ones do not count: they are re-measured).
  public func sampleCounts() throws -> [String: Int] { try store.sampleCounts(profile: profile.id, statistic: SampleStatistic.current) }

  public func record(_ samples: [LatencySample]) throws {
    try store.recordSamples(
      samples.map {
        LatencySampleRecord(
          unit: $0.key, op: $0.configuration.unit.op.rawValue, source: $0.source, microseconds: $0.microseconds, runs: $0.runs,
          round: $0.round, statistic: $0.statistic)
      }, profile: profile.id, run: run)
  }

  public func fittedNetworkCounts() throws -> [String: Int] {
    Dictionary(grouping: try store.networkTimings(profile: profile.id, purpose: .fit, statistic: SampleStatistic.current), by: \.architectureHash)
      .mapValues(\.count)
  }

  public func recordNetwork(_ arch: Architecture, timing: TimingSummary) throws {
    try recordNetwork(arch, timing: timing, purpose: .fit, predicted: nil)
  }

  /// Records a whole-network timing for `purpose` (fit, validate, measure); a validated
  /// network carries its chunk's `driftRatio` (``DriftReferences``).
  public func recordNetwork(_ arch: Architecture, timing: TimingSummary, purpose: NetworkPurpose, predicted: Double?, driftRatio: Double? = nil) throws {
    try store.recordArchitecture(arch, spacePath: nil)
    try store.recordNetworkTiming(
      LatencyNetworkRecord(
        architectureHash: arch.canonicalHash, purpose: purpose, milliseconds: timing.latency / 1000, p10: timing.p10 / 1000,
        p90: timing.p90 / 1000, runs: timing.runs, predicted: predicted, driftRatio: driftRatio, statistic: SampleStatistic.current),
      profile: profile.id, run: run)
  }

  /// The samples of the profile of `statistic` (every statistic when nil).
  public func samples(statistic: SampleStatistic? = .current) throws -> [LatencySample] {
    try store.samples(profile: profile.id, statistic: statistic).map { r in
      LatencySample(
        configuration: try UnitKey.parse(r.unit), source: r.source, microseconds: r.microseconds, runs: r.runs, round: r.round,
        statistic: r.statistic)
    }
  }

  /// Whole networks timed for fitting, one per architecture: `nas bench` times each once per
  /// pass, and its value is the fastest of those timings, as a unit's table value is of its
  /// samples (``TimingSummary/latencyQuantile``), so networks and units stand for the same speed of the machine.
  public func fitNetworks() throws -> [NetworkSample] { try fitNetworks(quantile: TimingSummary.latencyQuantile) }

  /// The fit networks valued at what one pass of `nas bench` measured: the median of their
  /// per-pass timings. A drift reference timed again in one pass is compared with this, not
  /// with the fastest of all the passes, which is lower than a single pass finds at the same
  /// speed of the machine (by a few percent: docs/latency.md, "Drift").
  public func driftReferenceCandidates() throws -> [NetworkSample] { try fitNetworks(quantile: 0.5) }

  func fitNetworks(quantile: Double) throws -> [NetworkSample] {
    let rows = try store.networkTimings(profile: profile.id, purpose: .fit, statistic: SampleStatistic.current)
    var order: [String] = []
    var byHash: [String: [LatencyNetworkRecord]] = [:]
    for r in rows {
      if byHash[r.architectureHash] == nil { order.append(r.architectureHash) }
      byHash[r.architectureHash, default: []].append(r)
    }
    return order.compactMap { hash in
      let timings = byHash[hash] ?? []
      guard let text = timings.first?.canonicalText, let arch = try? DSL.parseArchitecture(text, file: "<database>") else { return nil }
      return NetworkSample(architecture: arch, milliseconds: TimingSummary.quantile(timings.map(\.milliseconds).sorted(), quantile))
    }
  }

  /// Imports samples (one transaction).
  public func importSamples(_ samples: [LatencySample]) throws { try record(samples) }

  /// Fits the predictor on every stored sample and network, and stores it.
  public func fit(kind: UnitLatencyModel.Kind? = nil) throws -> (LatencyPredictor, FitReport) {
    let samples = try samples()
    if samples.isEmpty { try requireCurrentSamples() }
    let networks = try fitNetworks()
    let (predictor, report) = try LatencyPredictor.fit(profile: profile, samples: samples, networks: networks, kind: kind)
    try store.saveLatencyModel(profile: profile.id, json: try predictor.json(), samples: samples.count, networks: networks.count)
    return (predictor, report)
  }

  /// The stored predictor; fitted (and stored) first when there is none or when samples were
  /// added since. Throws `emptyTable` when the profile has no samples, `onlyOlderSamples` when
  /// it has only medians.
  public func predictor() throws -> LatencyPredictor {
    let count = try sampleCounts().values.reduce(0, +)
    if count == 0 { try requireCurrentSamples() }
    if let stored = try store.latencyModel(profile: profile.id), stored.samples == count {
      return try LatencyPredictor.decode(json: stored.json)
    }
    return try fit().0
  }

  /// Throws why the profile has no samples of the current statistic: none at all, or only
  /// samples of the median statistic.
  func requireCurrentSamples() throws {
    guard try sampleCounts().isEmpty else { return }
    let older = try store.sampleCounts(profile: profile.id, statistic: SampleStatistic.median).values.reduce(0, +)
    throw older > 0
      ? LatencyError.onlyOlderSamples(profile: profile.id, count: older, statistic: SampleStatistic.median.rawValue)
      : LatencyError.emptyTable(profile: profile.id)
  }
}
