import Foundation
import NASStore
import NASSupport

/// Latency tables in and out of the results database: CSV export and import (with the fit
/// that follows an import), and the list of device profiles.
public enum LatencyTableTransfer {
  /// Opens a results database the latency commands read; one that does not exist yet is an
  /// error that says to run `nas bench` first.
  public static func openExisting(_ path: String) throws -> ResultsStore {
    guard ResultsStore.isServerURL(path) || FileManager.default.fileExists(atPath: path) else {
      throw LatencyError.noDatabase(path: path)
    }
    return try ResultsStore.open(path: path)
  }

  /// Every sample of `profile` as CSV text, and how many samples it holds.
  public static func exportCSV(store: ResultsStore, profile: DeviceProfile) throws -> (text: String, samples: Int) {
    let samples = try LatencyDatabase(store: store, profile: profile).samples(statistic: nil)
    guard !samples.isEmpty else { throw LatencyError.emptyTable(profile: profile.id) }
    return (LatencyCSV.write(samples, profile: profile), samples.count)
  }

  /// What importing one profile's samples did.
  public struct Imported: Sendable {
    public var profile: DeviceProfile
    public var samples: Int
    /// Samples of the older statistic (medians): kept, not predicted from.
    public var olderSamples: Int
    /// The fit after the import; nil when every sample is of the older statistic.
    public var fit: FitReport?

    public var text: String {
      let head = "\(profile.id) (\(profile.summary)): imported \(samples) samples"
      guard let fit else {
        return head + ", all medians of their runs (the first statistic nas stored); kept, "
          + "but this version predicts from the fastest run: measure again with 'nas bench' built for that device"
      }
      return head + (olderSamples > 0 ? " (\(olderSamples) older medians, not used)" : "") + "; predictor fitted (\(fit.chosen.rawValue) model)"
    }
  }

  /// Reads CSV text (written by `nas latency export` or `nas bench` elsewhere) into the
  /// database under each row's device profile, then fits each profile's predictor.
  public static func importCSV(_ text: String, file: String, store: ResultsStore) throws -> [Imported] {
    try LatencyCSV.read(text, file: file).map { profile, samples in
      let database = try LatencyDatabase(store: store, profile: profile)
      try database.importSamples(samples)
      let older = samples.filter { $0.statistic != .current }.count
      let fit = older < samples.count ? try database.fit().1 : nil
      return Imported(profile: profile, samples: samples.count, olderSamples: older, fit: fit)
    }
  }

  /// The device profiles with samples, as `nas latency profiles` lists them.
  public static func profilesTable(store: ResultsStore) throws -> TextTable {
    var t = TextTable(
      headers: ["id", "cpu", "cores", "threads", "backend", "precision", "samples", "configurations", "cpu identity"], rightAligned: [2, 3, 6, 7])
    for p in try store.profiles() {
      let counts = try store.sampleCounts(profile: p.id, statistic: SampleStatistic.current)
      t.append([
        p.id, p.cpuModel, String(p.cores), String(p.threads), "\(p.backend) \(p.backendVersion)", p.precision,
        String(counts.values.reduce(0, +)), String(counts.count), DeviceProfile(record: p).identityText,
      ])
    }
    return t
  }
}
