import Foundation
import NASSpace
import NASStore
import NASSupport
import XCTest

@testable import NASNetAdapt

/// `nas netadapt --resume` takes the run's ownership like search: refused while the process
/// that runs it lives, taken once it has ended.
final class RunOwnerTests: XCTestCase {
  func testResumingALiveNetAdaptRunIsRefusedUntilItsOwnerEnds() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("netadapt-owner-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("nas.sqlite").path
    let seed = try DSL.parseArchitecture(ResumeTests.seedText, file: "seed")
    var settings = NetAdaptSettings()
    settings.targetRatio = 0.8
    var request = NetAdaptRequest(seedPath: "seed.arch", seed: seed, settings: settings, databasePath: path)
    let store = try ResultsStore.open(path: path)
    let (lease, _) = try NetAdaptRunner(request: request).openRun(store: store, settings: settings, stop: AtomicFlag())

    request.resume = true
    let other = try ResultsStore.open(path: path)
    XCTAssertThrowsError(try NetAdaptRunner(request: request).openRun(store: other, settings: settings, stop: AtomicFlag())) { error in
      XCTAssert("\(error)".contains("run \(lease.run) is in use by process \(ProcessInfo.processInfo.processIdentifier)"), "\(error)")
    }
    XCTAssertTrue(try lease.finish(.interrupted))
    let (resumed, _) = try NetAdaptRunner(request: request).openRun(store: other, settings: settings, stop: AtomicFlag())
    XCTAssertEqual(resumed.run, lease.run)
    XCTAssertEqual(try other.run(lease.run)?.status, .running)
  }
}
