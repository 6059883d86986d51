import Foundation
@testable import NASStore
import NASTestSupport
import XCTest

/// A run has one owner: a live owner is refused with its pid, host and heartbeat age; a dead
/// one is taken over; of many claims at once exactly one wins; a lost owner writes nothing.
class RunOwnershipTests: XCTestCase {
  var path: String!

  /// A new SQLite file here; a new PostgreSQL database in ``RunOwnershipPostgresTests``.
  func makeStoreLocation() throws -> String { try StoreLocations.newSQLiteFile() }

  override func setUpWithError() throws { path = try makeStoreLocation() }

  func newRun(_ store: ResultsStore, owner: RunOwner?) throws -> Int64 {
    try store.createRun(
      kind: .search, name: "r", commandLine: "nas search", parametersJSON: "{}", spacePath: nil, spaceHash: nil, seed: 1,
      toolVersion: "test", deviceProfile: nil, owner: owner)
  }

  /// A pid that existed and has ended.
  func deadPid() throws -> Int {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/true")
    try p.run()
    p.waitUntilExit()
    return Int(p.processIdentifier)
  }

  func setOwner(_ run: Int64, host: String, pid: Int, heartbeatSecondsAgo: Double) throws {
    try ResultsStore.open(path: path).write { db in
      try db.execute(
        sql: "UPDATE runs SET owner_token = 'other', owner_host = ?, owner_pid = ?, owner_heartbeat_at = ? WHERE id = ?",
        arguments: [host, pid, StoreTimestamp.string(try db.now().addingTimeInterval(-heartbeatSecondsAgo)), run])
    }
  }

  func testALiveOwnerIsRefusedWithItsPidHostAndHeartbeat() throws {
    let store = try ResultsStore.open(path: path)
    let first = RunOwner.thisProcess()
    let run = try newRun(store, owner: first)
    XCTAssertThrowsError(try store.claimRun(run, owner: .thisProcess())) { error in
      guard case StoreError.runOwned(let r, let host, let pid, let age) = error else { return XCTFail("\(error)") }
      XCTAssertEqual(r, run)
      XCTAssertEqual(host, RunOwner.hostName)
      XCTAssertEqual(pid, first.pid)
      XCTAssertLessThan(age ?? .infinity, 30)
      XCTAssert("\(error)".contains("in use by process \(first.pid) on \(RunOwner.hostName)"), "\(error)")
    }
    // The owner itself may claim again.
    XCTAssertNoThrow(try store.claimRun(run, owner: first))
  }

  func testADeadOwnerOnThisHostIsTakenOverAtOnce() throws {
    let store = try ResultsStore.open(path: path)
    let run = try newRun(store, owner: nil)
    try setOwner(run, host: RunOwner.hostName, pid: try deadPid(), heartbeatSecondsAgo: 1)
    XCTAssertNoThrow(try store.claimRun(run, owner: .thisProcess()))
  }

  func testAnOwnerOnAnotherHostIsJudgedByItsHeartbeat() throws {
    let store = try ResultsStore.open(path: path)
    let run = try newRun(store, owner: nil)
    try setOwner(run, host: "elsewhere.example", pid: 1, heartbeatSecondsAgo: 5)
    XCTAssertThrowsError(try store.claimRun(run, owner: .thisProcess()))
    try setOwner(run, host: "elsewhere.example", pid: 1, heartbeatSecondsAgo: RunOwnership.staleAfterSeconds + 5)
    XCTAssertNoThrow(try store.claimRun(run, owner: .thisProcess()))
  }

  func testOfManyClaimsAtOnceExactlyOneWins() throws {
    let run = try newRun(try ResultsStore.open(path: path), owner: nil)
    // Separate connections, as separate processes would have; each claimant has its own token.
    let stores = try (0..<8).map { _ in try ResultsStore.open(path: path) }
    let wins = UnsafeCounter()
    DispatchQueue.concurrentPerform(iterations: stores.count) { i in
      if (try? stores[i].claimRun(run, owner: .thisProcess())) != nil { wins.add() }
    }
    XCTAssertEqual(wins.value, 1)
  }

  func testALeaseThatWasTakenOverWritesNoStatus() throws {
    let store = try ResultsStore.open(path: path)
    let owner = RunOwner.thisProcess()
    let run = try newRun(store, owner: owner)
    let lost = UnsafeCounter()
    let lease = RunLease(store: store, run: run, owner: owner, heartbeatSeconds: 0.05, onLost: { lost.add() })
    try setOwner(run, host: "elsewhere.example", pid: 1, heartbeatSecondsAgo: 0)
    let deadline = Date().addingTimeInterval(10)
    while lost.value == 0 && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
    XCTAssertEqual(lost.value, 1)
    XCTAssertTrue(lease.isLost)
    XCTAssertFalse(try lease.finish(.finished))
    XCTAssertEqual(try store.run(run)?.status, .running)
  }

  func testAFinishedLeaseReleasesTheRun() throws {
    let store = try ResultsStore.open(path: path)
    let owner = RunOwner.thisProcess()
    let run = try newRun(store, owner: owner)
    let lease = RunLease(store: store, run: run, owner: owner)
    XCTAssertTrue(try lease.finish(.interrupted))
    XCTAssertEqual(try store.run(run)?.status, .interrupted)
    XCTAssertNoThrow(try store.claimRun(run, owner: .thisProcess()))
  }
}

/// ``RunOwnershipTests`` on a PostgreSQL server: the owner is a row there too, claimed under a
/// row lock, with heartbeats by the server's clock.
final class RunOwnershipPostgresTests: RunOwnershipTests {
  override func makeStoreLocation() throws -> String { try PostgresTestServer.freshDatabase() }

  override func testALiveOwnerIsRefusedWithItsPidHostAndHeartbeat() throws { try super.testALiveOwnerIsRefusedWithItsPidHostAndHeartbeat() }
  override func testADeadOwnerOnThisHostIsTakenOverAtOnce() throws { try super.testADeadOwnerOnThisHostIsTakenOverAtOnce() }
  override func testAnOwnerOnAnotherHostIsJudgedByItsHeartbeat() throws { try super.testAnOwnerOnAnotherHostIsJudgedByItsHeartbeat() }
  override func testOfManyClaimsAtOnceExactlyOneWins() throws { try super.testOfManyClaimsAtOnceExactlyOneWins() }
  override func testALeaseThatWasTakenOverWritesNoStatus() throws { try super.testALeaseThatWasTakenOverWritesNoStatus() }
  override func testAFinishedLeaseReleasesTheRun() throws { try super.testAFinishedLeaseReleasesTheRun() }
}

final class UnsafeCounter: @unchecked Sendable {
  private let lock = NSLock()
  private var count = 0
  var value: Int {
    lock.lock()
    defer { lock.unlock() }
    return count
  }
  func add() {
    lock.lock()
    count += 1
    lock.unlock()
  }
}
