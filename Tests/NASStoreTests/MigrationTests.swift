import Foundation
import GRDB
import NASArch
@testable import NASStore
import XCTest

/// Opening a database migrates it: from nothing, and from a file the previous version wrote.
final class MigrationTests: XCTestCase {
  func temporaryPath() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nas-migrate-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent("nas.sqlite").path
  }

  let arch = Architecture(
    name: "tiny", inputSize: 8, inputChannels: 3, classes: 4,
    units: [
      Unit(role: .stem, op: .conv, kernel: 3, stride: 2, outChannels: 8, activation: .relu),
      Unit(role: .head, op: .pool),
      Unit(role: .classifier, op: .classifier, outChannels: 4, normalization: .none),
    ])

  static let latencyTables = ["device_profiles", "latency_samples", "latency_networks", "latency_models", "latency_validations"]

  func tables(_ path: String) throws -> Set<String> {
    let queue = try DatabaseQueue(path: path)
    defer { try? queue.close() }
    return Set(try queue.read { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')") })
  }

  func appliedMigrations(_ path: String) throws -> [String] {
    let queue = try DatabaseQueue(path: path)
    defer { try? queue.close() }
    return try queue.read { try Schema.migrator.appliedMigrations($0) }
  }

  func testMigratingFromEmptyAppliesEveryMigrationInOrder() throws {
    let path = try temporaryPath()
    _ = try ResultsStore.open(path: path)
    XCTAssertEqual(try appliedMigrations(path), Schema.all.map(\.0))
    let present = try tables(path)
    for table in ["runs", "architectures", "evaluations", "run_state", "latest_evaluations", "best_per_run"] + Self.latencyTables {
      XCTAssertTrue(present.contains(table), "\(table) missing after migrating an empty file")
    }
  }

  /// A file the previous version (only the first migration) wrote, with one run, one
  /// architecture and one evaluation inserted as that version's SQL would.
  func makeV1Database(_ path: String) throws {
    let queue = try DatabaseQueue(path: path)
    try Schema.migrator.migrate(queue, upTo: Schema.all[0].0)
    try queue.write { db in
      try db.execute(
        sql: """
          INSERT INTO runs (id, kind, name, command_line, parameters, seed, status, started_at, ended_at, tool_version)
          VALUES (1, 'search', 'old', 'nas search old.space', '{"n":3}', 42, 'finished', '2024-01-01T00:00:00.000Z',
            '2024-01-01T01:00:00.000Z', '0.1')
          """)
      try db.execute(
        sql: """
          INSERT INTO architectures (hash, canonical_text, name, input_resolution, macs, params, created_at)
          VALUES (?, ?, 'tiny', 8, 123, 456, '2024-01-01T00:00:00.000Z')
          """, arguments: [arch.canonicalHash, arch.canonicalText(includeName: false)])
      try db.execute(
        sql: """
          INSERT INTO evaluations (id, run_id, architecture_hash, trial, evaluator, evaluator_config, accuracy,
            predicted_latency_ms, reward, status, wall_seconds, created_at)
          VALUES (1, 1, ?, 1, 'zen', '{"e":1}', 0.75, 2.5, 0.7, 'ok', 3, '2024-01-01T00:30:00.000Z')
          """, arguments: [arch.canonicalHash])
    }
    try queue.close()
  }

  func testOpeningAPreviousVersionsDatabaseMigratesItAndKeepsItsRows() throws {
    let path = try temporaryPath()
    try makeV1Database(path)
    XCTAssertEqual(try appliedMigrations(path), [Schema.all[0].0])
    XCTAssertTrue(try tables(path).isDisjoint(with: Self.latencyTables))

    // A read-only open accepts the older file and leaves it as it is.
    do {
      let reader = try ResultsStore.openReadOnly(path: path)
      XCTAssertEqual(try reader.runs().rows.count, 1)
    }
    XCTAssertEqual(try appliedMigrations(path), [Schema.all[0].0])

    let store = try ResultsStore.open(path: path)
    XCTAssertEqual(try appliedMigrations(path), Schema.all.map(\.0))
    XCTAssertTrue(try tables(path).isSuperset(of: Self.latencyTables))

    let run = try store.query(
      "SELECT kind, name, command_line, parameters, seed, status, started_at, ended_at, tool_version FROM runs WHERE id = 1")
    XCTAssertEqual(
      run.rows,
      [["search", "old", "nas search old.space", "{\"n\":3}", "42", "finished", "2024-01-01T00:00:00.000Z", "2024-01-01T01:00:00.000Z", "0.1"]])
    let architecture = try store.query("SELECT canonical_text, name, macs, params FROM architectures WHERE hash = ?", arguments: [arch.canonicalHash])
    XCTAssertEqual(architecture.rows, [[arch.canonicalText(includeName: false), "tiny", "123", "456"]])
    let evaluations = try store.evaluations(run: 1)
    XCTAssertEqual(evaluations.rows.count, 1)
    let column = Dictionary(uniqueKeysWithValues: evaluations.columns.enumerated().map { ($1, $0) })
    XCTAssertEqual(evaluations.rows[0][column["hash"]!], arch.canonicalHash)
    XCTAssertEqual(evaluations.rows[0][column["accuracy"]!], "0.75")
    XCTAssertEqual(evaluations.rows[0][column["status"]!], "ok")
    XCTAssertEqual(try store.count("runs"), 1)
    XCTAssertEqual(try store.count("architectures"), 1)
    XCTAssertEqual(try store.count("evaluations"), 1)
    XCTAssertEqual(try store.integrityCheck(), "ok")
    XCTAssertEqual(try store.query("PRAGMA foreign_key_check").rows.count, 0)

    // The migrated file takes new runs, and the latency tables can point at the old rows.
    XCTAssertEqual(try store.reusableAccuracy(hash: arch.canonicalHash, evaluatorConfigJSON: "{\"e\":1}"), 0.75)
    let newRun = try store.createRun(
      kind: .bench, name: "new", commandLine: "nas bench", parametersJSON: "{}", spacePath: nil, spaceHash: nil, seed: nil,
      toolVersion: "test", deviceProfile: "p1")
    XCTAssertEqual(newRun, 2)
    let profile = LatencyProfileRecord(
      id: "p1", cpuModel: "test cpu", cores: 2, threads: 1, backend: "xnnpack", backendVersion: "1", precision: "fp32")
    try store.recordProfile(profile)
    XCTAssertEqual(try store.profiles(), [profile])
    try store.recordSamples(
      [
        LatencySampleRecord(
          unit: "conv k=3 s=2 out=8 act=relu @ 8x8x3", op: "conv", source: .grid, microseconds: 12, runs: 5, round: 1, statistic: .fastest)
      ],
      profile: "p1", run: newRun)
    XCTAssertEqual(try store.samples(profile: "p1", statistic: .fastest).map(\.microseconds), [12])
    try store.recordNetworkTiming(
      LatencyNetworkRecord(
        architectureHash: arch.canonicalHash, purpose: .measure, milliseconds: 2, p10: nil, p90: nil, runs: 5, predicted: nil,
        statistic: .fastest),
      profile: "p1", run: newRun)
    XCTAssertEqual(try store.networkTimings(profile: "p1", statistic: nil).map(\.canonicalText), [arch.canonicalText(includeName: false)])
    XCTAssertEqual(try store.integrityCheck(), "ok")

    // Reopening finds nothing left to migrate and keeps everything.
    let again = try ResultsStore.open(path: path)
    XCTAssertEqual(try appliedMigrations(path), Schema.all.map(\.0))
    XCTAssertEqual(try again.count("runs"), 2)
    XCTAssertEqual(try again.samples(profile: "p1", statistic: nil).count, 1)
  }

  /// Samples and network timings stored before the timing statistic was recorded are medians,
  /// kept apart from the current ones; the predictor fitted on them is dropped.
  func testSamplesFromBeforeTheStatisticColumnAreMedians() throws {
    let path = try temporaryPath()
    let queue = try DatabaseQueue(path: path)
    try Schema.migrator.migrate(queue, upTo: DriftTables.name)
    try queue.write { db in
      try db.execute(
        sql: """
          INSERT INTO device_profiles (id, cpu_model, cores, threads, backend, backend_version, precision, created_at)
          VALUES ('p1', 'cpu', 2, 1, 'xnnpack', '1', 'fp32', '2026-12-01T00:00:00.000Z');
          INSERT INTO latency_samples (profile_id, unit, op, source, microseconds, runs, round, measured_at)
          VALUES ('p1', 'conv k=3 s=2 out=8 act=relu @ 8x8x3', 'conv', 'grid', 15, 5, 0, '2026-12-01T00:00:00.000Z');
          INSERT INTO architectures (hash, canonical_text, input_resolution, macs, params, created_at)
          VALUES ('h1', 'text', 8, 1, 1, '2026-12-01T00:00:00.000Z');
          INSERT INTO latency_networks (profile_id, architecture_hash, purpose, milliseconds, runs, measured_at)
          VALUES ('p1', 'h1', 'fit', 3, 5, '2026-12-01T00:00:00.000Z');
          INSERT INTO latency_models (profile_id, model, samples, networks, fitted_at) VALUES ('p1', '{}', 1, 1, '2026-12-01T00:00:00.000Z');
          """)
    }
    try queue.close()
    let store = try ResultsStore.open(path: path)
    XCTAssertEqual(try store.samples(profile: "p1", statistic: nil).map(\.statistic), [.median])
    XCTAssertEqual(try store.samples(profile: "p1", statistic: .fastest).count, 0)
    XCTAssertEqual(try store.sampleCounts(profile: "p1", statistic: .fastest), [:])
    XCTAssertEqual(try store.sampleCounts(profile: "p1", statistic: .median), ["conv k=3 s=2 out=8 act=relu @ 8x8x3": 1])
    XCTAssertEqual(try store.networkTimings(profile: "p1", purpose: .fit, statistic: nil).map(\.statistic), [.median])
    XCTAssertEqual(try store.networkTimings(profile: "p1", purpose: .fit, statistic: .fastest).count, 0)
    XCTAssertNil(try store.latencyModel(profile: "p1"), "a predictor fitted on medians is not reused")
    XCTAssertThrowsError(try store.query("UPDATE latency_samples SET statistic = 'mean'"), "only known statistics")
    XCTAssertEqual(try store.integrityCheck(), "ok")
  }

  /// A profile, its samples, fit networks and fitted model stored by the previous version keep
  /// their id and rows; the profile says its CPU identity is unknown, a newly identified one is
  /// stored beside it, and evaluations can record the load they were measured under.
  func testProfilesFromBeforeTheCPUIdentityKeepTheirIdAndRows() throws {
    let path = try temporaryPath()
    let queue = try DatabaseQueue(path: path)
    try Schema.migrator.migrate(queue, upTo: RunOwnerTables.name)
    try queue.write { db in
      try db.execute(
        sql: """
          INSERT INTO device_profiles (id, cpu_model, cores, threads, backend, backend_version, precision, created_at)
          VALUES ('0a1b2c3d4e5f', 'AMD EPYC', 2, 1, 'xnnpack', '1', 'fp32', '2026-12-01T00:00:00.000Z');
          INSERT INTO latency_samples (profile_id, unit, op, source, microseconds, runs, round, statistic, measured_at)
          VALUES ('0a1b2c3d4e5f', 'conv k=3 s=2 out=8 act=relu @ 8x8x3', 'conv', 'grid', 15, 5, 0, 'fastest', '2026-12-01T00:00:00.000Z'),
                 ('0a1b2c3d4e5f', 'conv k=3 s=2 out=8 act=relu @ 8x8x3', 'conv', 'grid', 14, 5, 1, 'fastest', '2026-12-01T00:00:00.000Z');
          INSERT INTO runs (id, kind, command_line, parameters, status, started_at, tool_version)
          VALUES (1, 'search', 'nas search', '{}', 'finished', '2026-12-01T00:00:00.000Z', 'old');
          INSERT INTO architectures (hash, canonical_text, input_resolution, macs, params, created_at)
          VALUES ('h1', 'text', 8, 1, 1, '2026-12-01T00:00:00.000Z');
          INSERT INTO latency_networks (profile_id, architecture_hash, purpose, milliseconds, runs, statistic, measured_at)
          VALUES ('0a1b2c3d4e5f', 'h1', 'fit', 3, 5, 'fastest', '2026-12-01T00:00:00.000Z');
          INSERT INTO latency_models (profile_id, model, samples, networks, fitted_at)
          VALUES ('0a1b2c3d4e5f', '{"format":1}', 2, 1, '2026-12-01T00:00:00.000Z');
          INSERT INTO evaluations (id, run_id, architecture_hash, evaluator, evaluator_config, measured_latency_ms, status, created_at)
          VALUES (1, 1, 'h1', 'zen', '{}', 3.5, 'ok', '2026-12-01T00:00:00.000Z');
          """)
    }
    try queue.close()

    let store = try ResultsStore.open(path: path)
    XCTAssertEqual(try appliedMigrations(path), Schema.all.map(\.0))
    let old = LatencyProfileRecord(
      id: "0a1b2c3d4e5f", cpuModel: "AMD EPYC", cores: 2, threads: 1, backend: "xnnpack", backendVersion: "1", precision: "fp32")
    XCTAssertEqual(try store.profiles(), [old], "kept, with every identity column NULL")
    XCTAssertEqual(try store.samples(profile: old.id, statistic: .fastest).map(\.microseconds), [15, 14])
    XCTAssertEqual(try store.networkTimings(profile: old.id, purpose: .fit, statistic: .fastest).map(\.milliseconds), [3])
    XCTAssertEqual(try store.latencyModel(profile: old.id)?.samples, 2, "the fitted model stays usable")

    let identified = LatencyProfileRecord(
      id: "ffeeddccbbaa", cpuModel: "AMD EPYC", cores: 2, threads: 1, backend: "xnnpack", backendVersion: "1", precision: "fp32",
      cpuFamily: 25, cpuModelNumber: 17, cpuStepping: 1, cpuFlags: "avx avx2 fma avx512f")
    try store.recordProfile(identified)
    XCTAssertEqual(try store.profiles(), [old, identified])

    XCTAssertNil(try store.measurementLoad(evaluation: 1))
    try store.setMeasurementLoad(evaluation: 1, otherBusyCores: 1.25)
    XCTAssertEqual(try store.measurementLoad(evaluation: 1), 1.25)
    XCTAssertEqual(try store.query("SELECT measured_latency_ms, measured_under_load FROM evaluations WHERE id = 1").rows, [["3.5", "1.25"]])
    XCTAssertEqual(try store.integrityCheck(), "ok")
  }

  /// Runs stored before the NetAdapt origin column keep their rows and link to nothing; a
  /// NetAdapt run can then record the search it continues, and only a search run is found as one.
  func testRunsFromBeforeTheOriginColumnLinkToNothingAndNewOnesLink() throws {
    let path = try temporaryPath()
    let queue = try DatabaseQueue(path: path)
    try Schema.migrator.migrate(queue, upTo: DeviceIdentityTables.name)
    try queue.write { db in
      try db.execute(
        sql: """
          INSERT INTO runs (id, kind, command_line, parameters, status, started_at, tool_version, device_profile)
          VALUES (1, 'search', 'nas search', '{"reward":{"targetMilliseconds":4}}', 'finished', '2026-12-01T00:00:00.000Z', 'old', 'p1'),
                 (2, 'netadapt', 'nas netadapt', '{}', 'finished', '2026-12-01T00:00:00.000Z', 'old', 'p1');
          INSERT INTO architectures (hash, canonical_text, input_resolution, macs, params, created_at)
          VALUES ('h1', 'text', 8, 1, 1, '2026-12-01T00:00:00.000Z');
          INSERT INTO evaluations (run_id, architecture_hash, evaluator, evaluator_config, status, created_at)
          VALUES (1, 'h1', 'cmd', '{}', 'ok', '2026-12-01T00:00:00.000Z'), (2, 'h1', 'train', '{}', 'ok', '2026-12-01T00:00:00.000Z');
          """)
    }
    try queue.close()

    let store = try ResultsStore.open(path: path)
    XCTAssertTrue(try appliedMigrations(path).contains(NetAdaptOriginTables.name))
    XCTAssertNil(try store.continuesRun(2))
    XCTAssertEqual(try store.runs().rows.map { $0.last ?? "absent" }, [nil, nil], "the runs list has the column, empty for old runs")
    XCTAssertEqual(try store.searchRuns(evaluating: "h1").map(\.id), [1], "the netadapt run's evaluation is no search result")
    XCTAssertNil(try store.searchRun(2), "a netadapt run is not a search run")
    XCTAssertEqual(try store.searchRun(1)?.deviceProfile, "p1")
    try store.setContinuesRun(2, origin: 1)
    XCTAssertEqual(try store.continuesRun(2), 1)
    XCTAssertEqual(try store.runs().rows.map { $0.last ?? "absent" }, ["1", nil])
    XCTAssertThrowsError(try store.setContinuesRun(2, origin: 99), "a link to a run that does not exist is refused")
    XCTAssertEqual(try store.integrityCheck(), "ok")
  }
}
