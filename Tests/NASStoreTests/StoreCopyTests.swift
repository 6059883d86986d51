import Foundation
import GRDB
import NASArch
import NASTestSupport
import XCTest

@testable import NASStore

/// `nas db copy`: a study moved SQLite → PostgreSQL → SQLite keeps every row, byte for byte, and
/// `nas db` answers the same on the source and on both copies.
final class StoreCopyTests: XCTestCase {
  func arch(_ size: Int, channels: Int = 8) -> Architecture {
    Architecture(
      inputSize: size, inputChannels: 3, classes: 4,
      units: [
        Unit(role: .stem, op: .conv, kernel: 3, stride: 2, outChannels: channels, activation: .relu),
        Unit(role: .head, op: .pool), Unit(role: .classifier, op: .classifier, outChannels: 4, normalization: .none),
      ])
  }

  let profile = "0123456789ab"
  /// A blob with NUL and high bytes, and an empty one: both must survive bytea and back.
  let state = Data([0, 1, 0, 0x7f, 0x80, 0xff, 0])

  struct Study {
    var store: ResultsStore
    var search: Int64
    var netadapt: Int64
    var hash: String
  }

  /// A source with rows in every table, written through the store's own API as a search, a
  /// benchmark and NetAdapt would write them.
  func makeStudy() throws -> Study {
    let store = try ResultsStore.open(path: try StoreLocations.newSQLiteFile())
    try store.recordProfile(
      LatencyProfileRecord(
        id: profile, cpuModel: "Test CPU @ 2.1GHz", cores: 2, threads: 1, backend: "xnnpack", backendVersion: "2024.1", precision: "fp32",
        cpuFamily: 6, cpuModelNumber: 85, cpuStepping: 7, cpuFlags: "avx2 avx512f fma"))
    // UInt64.max is stored as -1 (bit pattern): a negative 64-bit integer must survive too.
    let search = try store.createRun(
      kind: .search, name: "copy", commandLine: "nas search --trials 5", parametersJSON: #"{"trials":5}"#, spacePath: "s.space",
      spaceHash: "feedface", seed: .max, toolVersion: "test", deviceProfile: profile, owner: .thisProcess())
    // One whole number among the figures: a REAL holding 1 prints as "1.0" from both engines.
    let trials: [(accuracy: Double, predicted: Double)] = [(0.5123, 1.234), (1.0, 2.0), (0.5871, 0.917), (0.4402, 0.7315)]
    var ids: [Int64] = []
    for (index, trial) in trials.enumerated() {
      let id = try store.beginEvaluation(
        run: search, architecture: arch(8 + index), trial: index + 1, evaluator: "proxy", evaluatorConfigJSON: #"{"epochs":1}"#,
        predictedLatencyMs: trial.predicted, deviceProfile: profile, spacePath: "s.space")
      try store.finishEvaluation(
        id, .init(status: .ok, accuracy: trial.accuracy, reward: trial.accuracy - 0.0137 * trial.predicted, message: nil, reused: false, wallSeconds: 1.625))
      ids.append(id)
    }
    try store.setMeasuredLatency(evaluation: ids[0], milliseconds: 1.1875)
    try store.setMeasurementLoad(evaluation: ids[0], otherBusyCores: 0.35)
    let failed = try store.beginEvaluation(
      run: search, architecture: arch(12), trial: 5, evaluator: "proxy", evaluatorConfigJSON: #"{"epochs":1}"#, predictedLatencyMs: 3.3,
      deviceProfile: profile)
    try store.finishEvaluation(
      failed, .init(status: .failed, accuracy: nil, reward: nil, message: "training diverged: loss is nan", reused: false, wallSeconds: 0.25))
    // A trial handed to the evaluation queue, still running.
    let queued = try store.beginEvaluation(
      run: search, architecture: arch(13), trial: 6, evaluator: "proxy", evaluatorConfigJSON: #"{"epochs":1}"#, predictedLatencyMs: 0.55,
      deviceProfile: profile)
    try store.enqueue(run: search, [QueueItem(trial: 6, evaluationID: queued, architectureHash: arch(13).canonicalHash)], evaluator: #"{"kind":"proxy"}"#)
    try store.saveState(run: search, key: "strategy", value: state)
    try store.saveState(run: search, key: "empty", value: Data())
    // A rung of successive halving and the checkpoint it left (bytes of every value, zero included).
    try store.setContinuedFromStep(evaluation: ids[1], step: 40)
    try store.saveCheckpoint(evaluation: ids[1], step: 120, bytes: Data((0..<600).map { UInt8($0 % 256) }))

    try store.recordSamples(
      [
        LatencySampleRecord(unit: "conv k=3 s=2 out=8 @ 8x8x3", op: "conv", source: .grid, microseconds: 12.345, runs: 5, round: 1, statistic: .fastest),
        LatencySampleRecord(unit: "pool @ 4x4x8", op: "pool", source: .offgrid, microseconds: 0.8125, runs: 5, round: nil, statistic: .median),
      ], profile: profile, run: search)
    try store.recordNetworkTiming(
      LatencyNetworkRecord(
        architectureHash: arch(8).canonicalHash, purpose: .measure, milliseconds: 1.1875, p10: 1.15, p90: 1.31, runs: 10, predicted: 1.234,
        driftRatio: 1.0213, statistic: .fastest), profile: profile, run: search)
    try store.saveLatencyModel(profile: profile, json: #"{"intercept_us":3.5}"#, samples: 2, networks: 1)
    try store.recordValidation(
      LatencyValidationRecord(
        profileID: profile, spacePath: "s.space", spaceHash: "feedface", kind: "sampled", count: 10, seed: 42, rmseMilliseconds: 0.123,
        mape: 4.56, within5: 0.7, within10: 0.9, driftRatio: 1.01, correctedMape: 3.9, correctedWithin5: 0.8, correctedWithin10: 0.95),
      run: nil)

    // A NetAdapt run continuing the search: a reference from runs to runs.
    let netadapt = try store.createRun(
      kind: .netadapt, name: "shrink", commandLine: "nas netadapt", parametersJSON: "{}", spacePath: nil, spaceHash: nil, seed: nil,
      toolVersion: "test", deviceProfile: profile)
    try store.setContinuesRun(netadapt, origin: search)
    let cut = arch(8, channels: 6)
    try store.recordNetAdaptProposal(
      run: netadapt, architecture: cut,
      StoredNetAdaptProposal(
        iteration: 1, kind: "width", firstUnit: 0, lastUnit: 0, channelsBefore: 8, channelsAfter: 6, hash: cut.canonicalHash,
        predictedLatencyMs: 0.8125, accuracy: 0.5011, slope: 0.0271, status: .ok, message: nil, wallSeconds: 2.5))
    try store.recordNetAdaptIteration(
      run: netadapt, iteration: 1, architecture: cut, predictedLatencyMs: 0.8125, accuracy: 0.5011, cut: "units 0-0 out 8→6", proposals: 1,
      chosen: ("width", 0, 6), stateKey: "netadapt", state: state)
    return Study(store: store, search: search, netadapt: netadapt, hash: arch(9).canonicalHash)
  }

  func rowCount(_ store: ResultsStore, _ table: String) throws -> Int {
    try store.read { db in try StoreCopy.count(table, db) }
  }

  /// Every row of a table as stored values, sorted by primary key here rather than by the
  /// database (PostgreSQL may collate text unlike SQLite).
  func contents(_ store: ResultsStore, _ table: String) throws -> [[String: DatabaseValue]] {
    try store.read { db in
      let key = try StoreCopy.primaryKey(table, db)
      let rows = try db.fetchAll(sql: "SELECT * FROM \(table)").map { row in
        Dictionary(uniqueKeysWithValues: row.columnNames.map { ($0, row[$0] as DatabaseValue) })
      }
      return rows.sorted { a, b in
        key.map { "\(a[$0]!)" }.lexicographicallyPrecedes(key.map { "\(b[$0]!)" })
      }
    }
  }

  /// The answers of the `nas db` commands, by name.
  func answers(_ store: ResultsStore, _ study: Study) throws -> [(String, QueryResult)] {
    var answers = [("runs", try store.runs())]
    for key in ["reward", "accuracy", "latency"] {
      answers.append(("top \(key)", try store.top(run: study.search, by: key, limit: 10)))
      answers.append(("top \(key) of all runs", try store.top(run: nil, by: key, limit: 3)))
    }
    answers.append(("evaluations", try store.evaluations(run: study.search)))
    answers.append(("pareto", try store.pareto(run: study.search)))
    answers.append(("show hash prefix", try store.show(String(study.hash.prefix(10)))))
    return answers
  }

  func testAStudyMovesToPostgreSQLAndBackUnchanged() throws {
    let study = try makeStudy()
    let source = study.store
    let server = try ResultsStore.open(path: try PostgresTestServer.freshDatabase())
    var seen: [String: Int] = [:]
    let there = try StoreCopy.copy(from: source, to: server) { seen[$0] = $1 }
    let back = try ResultsStore.open(path: try StoreLocations.newSQLiteFile())
    let again = try StoreCopy.copy(from: server, to: back)

    XCTAssertEqual(there.tables.map(\.name), StoreCopy.tables)
    XCTAssertEqual(again.tables.map(\.name), StoreCopy.tables)
    for (table, rows) in there.tables {
      // Every table takes part, so each one's copy is tested.
      XCTAssertGreaterThan(rows, 0, table)
      XCTAssertEqual(seen[table], rows, "progress of \(table)")
      for copy in [server, back] { XCTAssertEqual(try rowCount(copy, table), rows, table) }
      XCTAssertEqual(try rowCount(source, table), rows, table)
      XCTAssertEqual(again.tables.first { $0.name == table }?.rows, rows, table)
      // Stored values equal (GRDB compares 1 and 1.0 as equal, as the two engines' columns do).
      let original = try contents(source, table)
      XCTAssertEqual(try contents(server, table), original, "\(table) on PostgreSQL")
      XCTAssertEqual(try contents(back, table), original, "\(table) back in SQLite")
    }
    XCTAssertEqual(there.total, there.tables.reduce(0) { $0 + $1.rows })

    // nas db answers the same on both engines: every query, every cell, as text.
    let expected = try answers(source, study)
    for (copy, label) in [(server, "PostgreSQL"), (back, "SQLite copy")] {
      for ((name, answer), (_, original)) in zip(try answers(copy, study), expected) {
        XCTAssertEqual(answer.columns, original.columns, "\(name) on the \(label)")
        XCTAssertEqual(answer.rows, original.rows, "\(name) on the \(label)")
      }
    }
    XCTAssertFalse(expected.contains { $0.1.rows.isEmpty }, "every query has rows to compare")

    for copy in [server, back] {
      XCTAssertEqual(try copy.loadState(run: study.search, key: "strategy"), state)
      XCTAssertEqual(try copy.loadState(run: study.search, key: "empty"), Data())
      XCTAssertEqual(
        try copy.checkpoint(hash: arch(9).canonicalHash, evaluatorConfigJSON: #"{"epochs":1}"#), Data((0..<600).map { UInt8($0 % 256) }),
        "a checkpoint is found by architecture and evaluator settings")
      XCTAssertNil(try copy.checkpoint(hash: arch(9).canonicalHash, evaluatorConfigJSON: #"{"epochs":2}"#))
      XCTAssertEqual(try copy.loadState(run: study.netadapt, key: "netadapt"), state)
      XCTAssertEqual(try copy.continuesRun(study.netadapt), study.search)
      XCTAssertEqual(try copy.run(study.search), try source.run(study.search))
    }

    // The server's identity sequences were moved past the copied ids.
    let run = try server.createRun(
      kind: .search, name: "next", commandLine: "nas search", parametersJSON: "{}", spacePath: nil, spaceHash: nil, seed: 1,
      toolVersion: "test", deviceProfile: nil)
    XCTAssertEqual(run, max(study.search, study.netadapt) + 1)
    let evaluation = try server.beginEvaluation(
      run: run, architecture: arch(8), trial: 1, evaluator: "proxy", evaluatorConfigJSON: "{}", predictedLatencyMs: 1, deviceProfile: nil)
    XCTAssertEqual(evaluation, Int64(there.tables.first { $0.name == "evaluations" }!.rows) + 1)
    // SQLite's AUTOINCREMENT moves on by itself past ids inserted explicitly.
    let local = try back.createRun(
      kind: .search, name: "next", commandLine: "nas search", parametersJSON: "{}", spacePath: nil, spaceHash: nil, seed: 1,
      toolVersion: "test", deviceProfile: nil)
    XCTAssertEqual(local, max(study.search, study.netadapt) + 1)
  }

  func testTablesLargerThanAPageArriveWhole() throws {
    let study = try makeStudy()
    let samples = (0..<(2 * StoreCopy.pageRows + 321)).map { i in
      LatencySampleRecord(unit: "u\(i)", op: "conv", source: .grid, microseconds: Double(i) + 0.25, runs: 3, round: i % 7, statistic: .fastest)
    }
    try study.store.recordSamples(samples, profile: profile, run: study.search)
    // A composite key with text of mixed case and punctuation, which PostgreSQL may order
    // unlike SQLite: paging must still see every row once.
    try study.store.write { db in
      for i in 0..<(StoreCopy.pageRows + 77) {
        try db.execute(
          sql: "INSERT INTO run_state (run_id, key, value, updated_at) VALUES (?, ?, ?, ?)",
          arguments: [study.search, ["Key-", "key_", "key.", "KEY "][i % 4] + String(i), Data((0..<(i % 5)).map { UInt8($0 * 60) }), "2026-01-01T00:00:00.000Z"])
      }
    }
    let server = try ResultsStore.open(path: try PostgresTestServer.freshDatabase())
    var pages: [String: [Int]] = [:]
    let there = try StoreCopy.copy(from: study.store, to: server) { pages[$0, default: []].append($1) }
    let back = try ResultsStore.open(path: try StoreLocations.newSQLiteFile())
    _ = try StoreCopy.copy(from: server, to: back)
    XCTAssertEqual(pages["latency_samples"], [2000, 4000, 4323])
    XCTAssertEqual(there.tables.first { $0.name == "run_state" }?.rows, 2080)
    for table in ["latency_samples", "run_state"] {
      let original = try contents(study.store, table)
      XCTAssertEqual(try contents(server, table), original, table)
      XCTAssertEqual(try contents(back, table), original, table)
    }
  }

  func testCopyingIntoADatabaseWithRowsIsRefusedAndWritesNothing() throws {
    let study = try makeStudy()
    let server = try ResultsStore.open(path: try PostgresTestServer.freshDatabase())
    // Only a later table has a row, so a copy that checked late would have written runs first.
    try server.recordProfile(
      LatencyProfileRecord(id: "ffffffffffff", cpuModel: "Other", cores: 1, threads: 1, backend: "xnnpack", backendVersion: "1", precision: "fp32"))
    XCTAssertThrowsError(try StoreCopy.copy(from: study.store, to: server)) { error in
      XCTAssertEqual(error as? StoreCopyError, .destinationNotEmpty(location: server.path, table: "device_profiles"))
      XCTAssertTrue("\(error)".contains("new, empty database"), "\(error)")
    }
    for table in StoreCopy.tables { XCTAssertEqual(try rowCount(server, table), table == "device_profiles" ? 1 : 0, table) }

    // And a destination that already holds the copy.
    let file = try ResultsStore.open(path: try StoreLocations.newSQLiteFile())
    _ = try StoreCopy.copy(from: study.store, to: file)
    XCTAssertThrowsError(try StoreCopy.copy(from: study.store, to: file)) { error in
      XCTAssertEqual(error as? StoreCopyError, .destinationNotEmpty(location: file.path, table: "runs"))
    }
    XCTAssertEqual(try rowCount(file, "runs"), 2)
  }

  func testAFailureHalfwayLeavesTheDestinationEmpty() throws {
    let study = try makeStudy()
    // SQLite keeps text that is not a number in an INTEGER column; PostgreSQL's bigint refuses
    // it, so the copy fails at latency_samples, after the tables before it were inserted.
    try study.store.write { db in try db.execute(sql: "UPDATE latency_samples SET runs = 'many' WHERE round IS NULL") }
    let server = try ResultsStore.open(path: try PostgresTestServer.freshDatabase())
    XCTAssertThrowsError(try StoreCopy.copy(from: study.store, to: server)) { XCTAssertTrue("\($0)".contains("many"), "\($0)") }
    for table in StoreCopy.tables { XCTAssertEqual(try rowCount(server, table), 0, table) }
    // Nothing was left behind: once the row is mended, the same destination takes the copy.
    try study.store.write { db in try db.execute(sql: "UPDATE latency_samples SET runs = 5 WHERE round IS NULL") }
    _ = try StoreCopy.copy(from: study.store, to: server)
    XCTAssertEqual(try contents(server, "evaluations"), try contents(study.store, "evaluations"))
  }

  func testTheSameDatabaseIsRefused() throws {
    let path = try StoreLocations.newSQLiteFile()
    let store = try ResultsStore.open(path: path)
    for other in [store, try ResultsStore.open(path: path), try ResultsStore.open(path: path.replacingOccurrences(of: "/nas.sqlite", with: "/./nas.sqlite"))] {
      XCTAssertThrowsError(try StoreCopy.copy(from: store, to: other)) { error in
        XCTAssertEqual(error as? StoreCopyError, .sameDatabase(store.path))
      }
    }
    let url = try PostgresTestServer.freshDatabase()
    XCTAssertThrowsError(try StoreCopy.copy(from: try ResultsStore.open(path: url), to: try ResultsStore.open(path: url))) { error in
      XCTAssertTrue(error is StoreCopyError, "\(error)")
    }
  }

  func testTheReportEncodesEachTableAsTableAndRows() throws {
    let report = StoreCopyReport(source: "a.sqlite", destination: "postgres://u:***@h/db", tables: [("runs", 2), ("architectures", 5)])
    let encoder = JSONEncoder()
    encoder.keyEncodingStrategy = .convertToSnakeCase
    encoder.outputFormatting = .sortedKeys
    let text = String(decoding: try encoder.encode(report), as: UTF8.self)
    XCTAssertEqual(
      text,
      #"{"destination":"postgres:\/\/u:***@h\/db","source":"a.sqlite","tables":[{"rows":2,"table":"runs"},{"rows":5,"table":"architectures"}],"total":7}"#)
    let decoded = try JSONDecoder().decode(StoreCopyReport.self, from: Data(text.utf8))
    XCTAssertEqual(decoded.tables.map(\.name), ["runs", "architectures"])
    XCTAssertEqual(decoded.total, 7)
  }
}
