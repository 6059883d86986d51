import Foundation
import GRDB

/// A device profile row (see `NASLatency.DeviceProfile`).
public struct LatencyProfileRecord: Codable, Sendable, Hashable {
  public var id: String
  public var cpuModel: String
  public var cores: Int
  public var threads: Int
  public var backend: String
  public var backendVersion: String
  public var precision: String
  /// The CPU identity (migration `v7-device-identity`): "cpu family", "model" and "stepping"
  /// from /proc/cpuinfo, and the kernel-selecting instruction-set flags, space-separated.
  /// `cpuFlags` nil means the profile was stored before the identity was recorded.
  public var cpuFamily: Int?
  public var cpuModelNumber: Int?
  public var cpuStepping: Int?
  public var cpuFlags: String?

  public init(
    id: String, cpuModel: String, cores: Int, threads: Int, backend: String, backendVersion: String, precision: String,
    cpuFamily: Int? = nil, cpuModelNumber: Int? = nil, cpuStepping: Int? = nil, cpuFlags: String? = nil
  ) {
    self.id = id
    self.cpuModel = cpuModel
    self.cores = cores
    self.threads = threads
    self.backend = backend
    self.backendVersion = backendVersion
    self.precision = precision
    self.cpuFamily = cpuFamily
    self.cpuModelNumber = cpuModelNumber
    self.cpuStepping = cpuStepping
    self.cpuFlags = cpuFlags
  }
}

/// One microbenchmark sample: a statistic (`median` or `fastest`) of `runs` timed runs of a unit configuration.
public struct LatencySampleRecord: Codable, Sendable, Hashable {
  public var unit: String
  public var op: String
  public var source: SampleSource
  public var microseconds: Double
  public var runs: Int
  public var round: Int?
  public var statistic: SampleStatistic
  public var measuredAt: String?

  public init(
    unit: String, op: String, source: SampleSource, microseconds: Double, runs: Int, round: Int?, statistic: SampleStatistic, measuredAt: String? = nil
  ) {
    self.statistic = statistic
    self.unit = unit
    self.op = op
    self.source = source
    self.microseconds = microseconds
    self.runs = runs
    self.round = round
    self.measuredAt = measuredAt
  }
}

/// One whole-network timing.
public struct LatencyNetworkRecord: Codable, Sendable, Hashable {
  public var architectureHash: String
  public var canonicalText: String?
  public var purpose: NetworkPurpose
  public var milliseconds: Double
  public var p10: Double?
  public var p90: Double?
  public var runs: Int
  public var predicted: Double?
  /// For a validated network, the machine's speed factor while its chunk was timed.
  public var driftRatio: Double?
  /// Which statistic of the timed runs `milliseconds` is.
  public var statistic: SampleStatistic

  public init(
    architectureHash: String, canonicalText: String? = nil, purpose: NetworkPurpose, milliseconds: Double, p10: Double?, p90: Double?,
    runs: Int, predicted: Double?, driftRatio: Double? = nil, statistic: SampleStatistic
  ) {
    self.statistic = statistic
    self.driftRatio = driftRatio
    self.architectureHash = architectureHash
    self.canonicalText = canonicalText
    self.purpose = purpose
    self.milliseconds = milliseconds
    self.p10 = p10
    self.p90 = p90
    self.runs = runs
    self.predicted = predicted
  }
}

/// One validation result.
public struct LatencyValidationRecord: Codable, Sendable, Hashable {
  public var profileID: String
  public var spacePath: String?
  public var spaceHash: String?
  public var kind: String
  public var count: Int
  public var seed: UInt64?
  public var rmseMilliseconds: Double
  public var mape: Double
  public var within5: Double
  public var within10: Double
  /// Drift correction (nil without reference networks): the median of the chunks' speed
  /// factors, and the figures against each network's fastest pass of latency / factor.
  public var driftRatio: Double?
  public var correctedMape: Double?
  public var correctedWithin5: Double?
  public var correctedWithin10: Double?

  public init(
    profileID: String, spacePath: String?, spaceHash: String?, kind: String, count: Int, seed: UInt64?,
    rmseMilliseconds: Double, mape: Double, within5: Double, within10: Double, driftRatio: Double? = nil, correctedMape: Double? = nil,
    correctedWithin5: Double? = nil, correctedWithin10: Double? = nil
  ) {
    self.driftRatio = driftRatio
    self.correctedMape = correctedMape
    self.correctedWithin5 = correctedWithin5
    self.correctedWithin10 = correctedWithin10
    self.profileID = profileID
    self.spacePath = spacePath
    self.spaceHash = spaceHash
    self.kind = kind
    self.count = count
    self.seed = seed
    self.rmseMilliseconds = rmseMilliseconds
    self.mape = mape
    self.within5 = within5
    self.within10 = within10
  }
}

extension ResultsStore {
  /// The quoted words a statistic filter admits (every statistic when nil). Spelled into the SQL
  /// rather than bound, because PostgreSQL cannot type a parameter only compared with NULL.
  static func statisticList(_ statistic: SampleStatistic?) -> String {
    (statistic.map { [$0] } ?? SampleStatistic.allCases).map { "'\($0.rawValue)'" }.joined(separator: ", ")
  }

  /// Inserts the profile if its id is new. A row stored without a CPU identity under the same
  /// id takes the identity given here (a caller that only knows the older fields leaves it as it is).
  public func recordProfile(_ p: LatencyProfileRecord) throws {
    try write { db in
      try db.execute(
        sql: """
          INSERT INTO device_profiles (id, cpu_model, cores, threads, backend, backend_version, precision, cpu_family, cpu_model_number,
            cpu_stepping, cpu_flags, created_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
          ON CONFLICT(id) DO UPDATE SET cpu_family = excluded.cpu_family, cpu_model_number = excluded.cpu_model_number,
            cpu_stepping = excluded.cpu_stepping, cpu_flags = excluded.cpu_flags
          WHERE device_profiles.cpu_flags IS NULL AND excluded.cpu_flags IS NOT NULL
          """,
        arguments: [
          p.id, p.cpuModel, p.cores, p.threads, p.backend, p.backendVersion, p.precision, p.cpuFamily, p.cpuModelNumber, p.cpuStepping,
          p.cpuFlags, Self.now(),
        ])
    }
  }

  /// Records how many cores other processes kept busy while an evaluation's end-to-end latency
  /// was measured (`evaluations.measured_under_load`); nil when it could not be sampled.
  public func setMeasurementLoad(evaluation: Int64, otherBusyCores: Double?) throws {
    try write { db in
      try db.execute(sql: "UPDATE evaluations SET measured_under_load = ? WHERE id = ?", arguments: [otherBusyCores, evaluation])
    }
  }

  /// The load recorded with an evaluation's end-to-end measurement, if any.
  public func measurementLoad(evaluation: Int64) throws -> Double? {
    try read { db in
      try db.value(Double.self, sql: "SELECT measured_under_load FROM evaluations WHERE id = ?", arguments: [evaluation])
    }
  }

  /// Every known profile, oldest first.
  public func profiles() throws -> [LatencyProfileRecord] {
    try read { db in
      try db.fetchAll(sql: "SELECT * FROM device_profiles ORDER BY created_at, id").map {
        LatencyProfileRecord(
          id: $0["id"], cpuModel: $0["cpu_model"], cores: $0["cores"], threads: $0["threads"], backend: $0["backend"],
          backendVersion: $0["backend_version"], precision: $0["precision"], cpuFamily: $0["cpu_family"],
          cpuModelNumber: $0["cpu_model_number"], cpuStepping: $0["cpu_stepping"], cpuFlags: $0["cpu_flags"])
      }
    }
  }

  /// Appends samples in one transaction.
  public func recordSamples(_ samples: [LatencySampleRecord], profile: String, run: Int64?) throws {
    guard !samples.isEmpty else { return }
    try write { db in
      let now = Self.now()
      for s in samples {
        try db.execute(
          sql: """
            INSERT INTO latency_samples (profile_id, unit, op, source, microseconds, runs, round, statistic, run_id, measured_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
          arguments: [profile, s.unit, s.op, s.source.rawValue, s.microseconds, s.runs, s.round, s.statistic.rawValue, run, s.measuredAt ?? now])
      }
    }
  }

  /// Every sample of a profile (of one statistic, or of all when nil), in insertion order.
  public func samples(profile: String, statistic: SampleStatistic?) throws -> [LatencySampleRecord] {
    try read { db in
      try db.fetchAll(sql: """
          SELECT unit, op, source, microseconds, runs, round, statistic, measured_at FROM latency_samples
          WHERE profile_id = ? AND statistic IN (\(Self.statisticList(statistic))) ORDER BY id
          """,
        arguments: [profile]
      ).map {
        LatencySampleRecord(
          unit: $0["unit"], op: $0["op"], source: try $0.word("source", of: "latency_samples"), microseconds: $0["microseconds"],
          runs: $0["runs"], round: $0["round"], statistic: try $0.word("statistic", of: "latency_samples"), measuredAt: $0["measured_at"])
      }
    }
  }

  /// How many samples of `statistic` (of any, when nil) each unit of a profile has.
  public func sampleCounts(profile: String, statistic: SampleStatistic?) throws -> [String: Int] {
    try read { db in
      var counts: [String: Int] = [:]
      for row in try db.fetchAll(sql: """
          SELECT unit, COUNT(*) AS n FROM latency_samples WHERE profile_id = ? AND statistic IN (\(Self.statisticList(statistic)))
          GROUP BY unit
          """,
        arguments: [profile])
      {
        counts[row["unit"]] = row["n"]
      }
      return counts
    }
  }

  /// Records a whole-network timing (the architecture must have been recorded).
  public func recordNetworkTiming(_ n: LatencyNetworkRecord, profile: String, run: Int64?) throws {
    try write { db in
      try db.execute(
        sql: """
          INSERT INTO latency_networks (profile_id, architecture_hash, purpose, milliseconds, p10_ms, p90_ms, runs, predicted_ms, drift_ratio,
            statistic, run_id, measured_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
          """,
        arguments: [
          profile, n.architectureHash, n.purpose.rawValue, n.milliseconds, n.p10, n.p90, n.runs, n.predicted, n.driftRatio, n.statistic.rawValue, run, Self.now(),
        ])
    }
  }

  /// Whole-network timings of a profile (for one purpose, and of one statistic, or all when
  /// nil) with the architectures' canonical text, oldest first.
  public func networkTimings(profile: String, purpose: NetworkPurpose? = nil, statistic: SampleStatistic?) throws -> [LatencyNetworkRecord] {
    try read { db in
      var sql = """
        SELECT n.*, a.canonical_text FROM latency_networks n JOIN architectures a ON a.hash = n.architecture_hash
        WHERE n.profile_id = ?
        """
      var args: [(any DatabaseValueConvertible)?] = [profile]
      if let purpose {
        sql += " AND n.purpose = ?"
        args.append(purpose.rawValue)
      }
      if let statistic {
        sql += " AND n.statistic = ?"
        args.append(statistic.rawValue)
      }
      return try db.fetchAll(sql: sql + " ORDER BY n.id", arguments: args).map {
        LatencyNetworkRecord(
          architectureHash: $0["architecture_hash"], canonicalText: $0["canonical_text"], purpose: try $0.word("purpose", of: "latency_networks"),
          milliseconds: $0["milliseconds"], p10: $0["p10_ms"], p90: $0["p90_ms"], runs: $0["runs"], predicted: $0["predicted_ms"],
          driftRatio: $0["drift_ratio"], statistic: try $0.word("statistic", of: "latency_networks"))
      }
    }
  }

  /// Replaces the fitted predictor of a profile.
  public func saveLatencyModel(profile: String, json: String, samples: Int, networks: Int) throws {
    try write { db in
      try db.execute(
        sql: """
          INSERT INTO latency_models (profile_id, model, samples, networks, fitted_at) VALUES (?, ?, ?, ?, ?)
          ON CONFLICT (profile_id) DO UPDATE SET model = excluded.model, samples = excluded.samples, networks = excluded.networks,
            fitted_at = excluded.fitted_at
          """,
        arguments: [profile, json, samples, networks, Self.now()])
    }
  }

  /// The fitted predictor of a profile as JSON, with the sample count it was fitted on.
  public func latencyModel(profile: String) throws -> (json: String, samples: Int)? {
    try read { db in
      guard let row = try db.fetchOne(sql: "SELECT model, samples FROM latency_models WHERE profile_id = ?", arguments: [profile])
      else { return nil }
      return (row["model"], row["samples"])
    }
  }

  /// Records a validation result.
  public func recordValidation(_ v: LatencyValidationRecord, run: Int64?) throws {
    try write { db in
      try db.execute(
        sql: """
          INSERT INTO latency_validations (run_id, profile_id, space_path, space_hash, kind, count, seed, rmse_ms, mape, within5, within10,
            drift_ratio, corrected_mape, corrected_within5, corrected_within10, created_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
          """,
        arguments: [
          run, v.profileID, v.spacePath, v.spaceHash, v.kind, v.count, v.seed.map { Int64(bitPattern: $0) }, v.rmseMilliseconds, v.mape,
          v.within5, v.within10, v.driftRatio, v.correctedMape, v.correctedWithin5, v.correctedWithin10, Self.now(),
        ])
    }
  }

  /// Validation results of a profile, newest first.
  public func validations(profile: String) throws -> [LatencyValidationRecord] {
    try read { db in
      try db.fetchAll(sql: "SELECT * FROM latency_validations WHERE profile_id = ? ORDER BY id DESC", arguments: [profile]).map {
        LatencyValidationRecord(
          profileID: $0["profile_id"], spacePath: $0["space_path"], spaceHash: $0["space_hash"], kind: $0["kind"], count: $0["count"],
          seed: ($0["seed"] as Int64?).map { UInt64(bitPattern: $0) }, rmseMilliseconds: $0["rmse_ms"], mape: $0["mape"],
          within5: $0["within5"], within10: $0["within10"], driftRatio: $0["drift_ratio"], correctedMape: $0["corrected_mape"],
          correctedWithin5: $0["corrected_within5"], correctedWithin10: $0["corrected_within10"])
      }
    }
  }
}
