import Foundation
import NASArch
import NASTestSupport
import XCTest

@testable import NASStore

/// Creating and resuming a run of any kind: the stored settings are compared, a finished run is
/// refused where the kind says so, a live owner is refused, and evaluations whose process died
/// are marked stale and handed back.
class RunLifecycleTests: XCTestCase {
  var path: String!

  /// A new SQLite file here; a new PostgreSQL database in ``RunLifecyclePostgresTests``.
  func makeStoreLocation() throws -> String { try StoreLocations.newSQLiteFile() }

  override func setUpWithError() throws { path = try makeStoreLocation() }

  static let start = RunLifecycle.Start(
    name: "r", commandLine: "nas x", parametersJSON: #"{"a": 1}"#, spacePath: nil, spaceHash: nil, seed: 1, toolVersion: "test",
    deviceProfile: nil)

  func sameSettings(_ run: RunRecord) -> [String] { run.parameters == Self.start.parametersJSON ? [] : ["a"] }

  func testANewRunIsOwnedAndAResumeChecksItsSettings() throws {
    let store = try ResultsStore.open(path: path)
    let lifecycle = RunLifecycle(store: store, kind: .netadapt, owner: RunOwner(token: "first", host: RunOwner.hostName, pid: 1))
    XCTAssertThrowsError(try lifecycle.resume(name: "r", allowFinished: false, differences: sameSettings)) {
      XCTAssertTrue("\($0)".contains("no netadapt run named r in \(store.path); run without --resume"), "\($0)")
    }
    let lease = try lifecycle.create(Self.start)
    XCTAssertTrue(try lease.finish(.interrupted))

    let again = RunLifecycle(store: store, kind: .netadapt)
    XCTAssertThrowsError(try again.resume(name: "r", allowFinished: false) { _ in ["seed 1 → 2"] }) {
      XCTAssertTrue("\($0)".contains("was started with other settings (seed 1 → 2)"), "\($0)")
    }
    let resumed = try again.resume(name: "r", allowFinished: false, differences: sameSettings)
    XCTAssertEqual(resumed.stored.id, lease.run)
    XCTAssertEqual(try store.run(lease.run)?.status, .running)

    // Another process while this one holds the run: refused, naming the owner.
    let other = RunLifecycle(store: store, kind: .netadapt, owner: RunOwner(token: "other", host: RunOwner.hostName, pid: 2))
    XCTAssertThrowsError(try other.resume(name: "r", allowFinished: false, differences: sameSettings)) {
      XCTAssertTrue("\($0)".contains("run \(lease.run)"), "\($0)")
    }
    XCTAssertTrue(try resumed.lease.finish(.finished))
    XCTAssertThrowsError(try again.resume(name: "r", allowFinished: false, differences: sameSettings)) {
      XCTAssertEqual("\($0)", "run \(lease.run) already finished")
    }
    XCTAssertNoThrow(try again.resume(name: "r", allowFinished: true, differences: sameSettings).lease.finish(.finished))
  }

  func testAResumeHandsBackTheTrialsWhoseProcessDied() throws {
    let store = try ResultsStore.open(path: path)
    let lease = try RunLifecycle(store: store, kind: .search).create(Self.start)
    let arch = ResultsStoreTests.tiny
    // An evaluation left running by a process that has ended.
    let id = try store.beginEvaluation(
      run: lease.run, architecture: arch, trial: 4, evaluator: "test", evaluatorConfigJSON: "{}", predictedLatencyMs: 1, deviceProfile: nil)
    let ended = Process()
    ended.executableURL = URL(fileURLWithPath: "/bin/true")
    try ended.run()
    ended.waitUntilExit()
    try store.write { try $0.execute(sql: "UPDATE evaluations SET pid = ? WHERE id = ?", arguments: [Int(ended.processIdentifier), id]) }
    XCTAssertTrue(try lease.finish(.interrupted))
    let resumed = try RunLifecycle(store: store, kind: .search).resume(name: "r", allowFinished: true, differences: sameSettings)
    XCTAssertEqual(resumed.staleTrials, [4])
    XCTAssertTrue(try resumed.lease.finish(.finished))
  }
}

/// ``RunLifecycleTests`` on a PostgreSQL server.
final class RunLifecyclePostgresTests: RunLifecycleTests {
  override func makeStoreLocation() throws -> String { try PostgresTestServer.freshDatabase() }

  override func testANewRunIsOwnedAndAResumeChecksItsSettings() throws { try super.testANewRunIsOwnedAndAResumeChecksItsSettings() }
  override func testAResumeHandsBackTheTrialsWhoseProcessDied() throws { try super.testAResumeHandsBackTheTrialsWhoseProcessDied() }
}
