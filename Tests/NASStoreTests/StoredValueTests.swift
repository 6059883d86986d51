import Foundation
import GRDB
import NASArch
import NASStore
import XCTest

/// A stored word outside the set a column may hold is an error naming the table, column and
/// word, never read as another value.
final class StoredValueTests: XCTestCase {
  func testAnUnknownEvaluationStatusIsAnError() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nas-values-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("nas.sqlite").path
    let store = try ResultsStore.open(path: path)
    let run = try store.createRun(
      kind: .search, name: nil, commandLine: "nas search", parametersJSON: "{}", spacePath: nil, spaceHash: nil, seed: nil,
      toolVersion: "test", deviceProfile: nil)
    let arch = ResultsStoreTests.tiny
    let id = try store.beginEvaluation(
      run: run, architecture: arch, trial: 1, evaluator: "test", evaluatorConfigJSON: "{}", predictedLatencyMs: 1, deviceProfile: nil)
    try store.finishEvaluation(id, .init(status: .ok, accuracy: 0.5, reward: 0.5, message: nil, reused: false, wallSeconds: 0))
    XCTAssertEqual(try store.finishedEvaluations(run: run).map(\.status), [.ok])

    // A word the schema's CHECK would refuse, written past it as a newer nas or a hand edit might.
    let queue = try DatabaseQueue(path: path)
    try queue.write { db in
      try db.execute(sql: "PRAGMA ignore_check_constraints = ON")
      try db.execute(sql: "UPDATE evaluations SET status = 'paused' WHERE id = ?", arguments: [id])
    }
    try queue.close()
    XCTAssertThrowsError(try store.finishedEvaluations(run: run)) {
      XCTAssertEqual("\($0)", StoreError.unknownValue(table: "evaluations", column: "status", value: "paused").description)
    }
  }

  func testAnUnknownProposalStatusIsAnError() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nas-values-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("nas.sqlite").path
    let store = try ResultsStore.open(path: path)
    let run = try store.createRun(
      kind: .netadapt, name: nil, commandLine: "nas netadapt", parametersJSON: "{}", spacePath: nil, spaceHash: nil, seed: nil,
      toolVersion: "test", deviceProfile: nil)
    let arch = ResultsStoreTests.tiny
    try store.recordNetAdaptProposal(
      run: run, architecture: arch,
      StoredNetAdaptProposal(
        iteration: 1, kind: "width", firstUnit: 0, lastUnit: 0, channelsBefore: 16, channelsAfter: 8, hash: arch.canonicalHash,
        predictedLatencyMs: 1, accuracy: 0.5, slope: nil, status: .ok, message: nil, wallSeconds: 1))
    XCTAssertEqual(try store.netAdaptProposals(run: run).map(\.status), [.ok])
    let queue = try DatabaseQueue(path: path)
    try queue.write { db in
      try db.execute(sql: "PRAGMA ignore_check_constraints = ON")
      try db.execute(sql: "UPDATE netadapt_proposals SET status = 'pending'")
    }
    try queue.close()
    XCTAssertThrowsError(try store.netAdaptProposals(run: run)) {
      XCTAssertEqual("\($0)", StoreError.unknownValue(table: "netadapt_proposals", column: "status", value: "pending").description)
    }
  }
}
