import Foundation
import GRDB
import NASArch
import NASStore
import XCTest

/// A stored word outside the set a column may hold is an error naming the table, column and
/// word, never read as another value.
final class StoredValueTests: XCTestCase {
  var folder: URL!
  var path: String { folder.appendingPathComponent("nas.sqlite").path }

  override func setUpWithError() throws {
    folder = FileManager.default.temporaryDirectory.appendingPathComponent("nas-values-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

  /// A store with one run of `kind`.
  func storeWithRun(_ kind: RunKind) throws -> (ResultsStore, Int64) {
    let store = try ResultsStore.open(path: path)
    let run = try store.createRun(
      kind: kind, name: nil, commandLine: "nas \(kind.rawValue)", parametersJSON: "{}", spacePath: nil, spaceHash: nil, seed: nil,
      toolVersion: "test", deviceProfile: nil)
    return (store, run)
  }

  /// Writes `sql` past the schema's CHECK constraints, as a newer nas or a hand edit might.
  func writeUnchecked(_ sql: String) throws {
    let queue = try DatabaseQueue(path: path)
    try queue.write { db in
      try db.execute(sql: "PRAGMA ignore_check_constraints = ON")
      try db.execute(sql: sql)
    }
    try queue.close()
  }

  func testAnUnknownEvaluationStatusIsAnError() throws {
    let (store, run) = try storeWithRun(.search)
    let arch = ResultsStoreTests.tiny
    let id = try store.beginEvaluation(
      run: run, architecture: arch, trial: 1, evaluator: "test", evaluatorConfigJSON: "{}", predictedLatencyMs: 1, deviceProfile: nil)
    try store.finishEvaluation(id, .init(status: .ok, accuracy: 0.5, reward: 0.5, message: nil, reused: false, wallSeconds: 0))
    XCTAssertEqual(try store.finishedEvaluations(run: run).map(\.status), [.ok])

    try writeUnchecked("UPDATE evaluations SET status = 'paused' WHERE id = \(id)")
    XCTAssertThrowsError(try store.finishedEvaluations(run: run)) {
      XCTAssertEqual("\($0)", StoreError.unknownValue(table: "evaluations", column: "status", value: "paused").description)
    }
  }

  func testAnUnknownProposalStatusIsAnError() throws {
    let (store, run) = try storeWithRun(.netadapt)
    let arch = ResultsStoreTests.tiny
    try store.recordNetAdaptProposal(
      run: run, architecture: arch,
      StoredNetAdaptProposal(
        iteration: 1, kind: "width", firstUnit: 0, lastUnit: 0, channelsBefore: 16, channelsAfter: 8, hash: arch.canonicalHash,
        predictedLatencyMs: 1, accuracy: 0.5, slope: nil, status: .ok, message: nil, wallSeconds: 1))
    XCTAssertEqual(try store.netAdaptProposals(run: run).map(\.status), [.ok])
    try writeUnchecked("UPDATE netadapt_proposals SET status = 'pending'")
    XCTAssertThrowsError(try store.netAdaptProposals(run: run)) {
      XCTAssertEqual("\($0)", StoreError.unknownValue(table: "netadapt_proposals", column: "status", value: "pending").description)
    }
  }
}
