/// The migration that records which statistic of its timed runs each sample and network timing
/// is: the median of the runs (the first statistic `nas` stored) or the fastest run (what it
/// stores and predicts from; docs/latency.md, "How a network is timed"). Existing rows are medians. A fitted predictor is derived data, so the
/// stored ones are dropped and refitted from the samples of the current statistic on demand.
enum TimingStatisticTables {
  static let name = "v5-timing-statistic"

  static let sql = """
    ALTER TABLE latency_samples ADD COLUMN statistic TEXT NOT NULL DEFAULT 'median'
      CHECK (statistic IN ('median','fastest'));                       -- of the sample's timed runs
    ALTER TABLE latency_networks ADD COLUMN statistic TEXT NOT NULL DEFAULT 'median'
      CHECK (statistic IN ('median','fastest'));                       -- of the network's timed runs
    DROP INDEX latency_samples_unit;
    CREATE INDEX latency_samples_unit ON latency_samples(profile_id, statistic, unit);
    DELETE FROM latency_models;
    """
}
