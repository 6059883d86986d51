import Foundation
import XCTest

@testable import NASLatency

/// Reading /proc/stat and /proc/loadavg, and how other processes' load is told from our own.
final class MachineLoadTests: XCTestCase {
  // user nice system idle iowait irq softirq steal guest guest_nice
  static let stat = """
    cpu  30595 7 5318 386108 3688 11 48 680 100 0
    cpu0 15000 3 2600 193000 1800 5 20 340 50 0
    intr 123 4 5
    """

  func testParsesTheAggregateCPULine() throws {
    let t = try XCTUnwrap(MachineLoad.parseStat(Self.stat))
    XCTAssertEqual(t.busy, 30595 + 7 + 5318 + 11 + 48)
    XCTAssertEqual(t.total, t.busy + 386108 + 3688 + 680)
    // Older kernels print fewer columns.
    XCTAssertEqual(MachineLoad.parseStat("cpu  10 0 5 100\n"), MachineLoad.CPUTimes(busy: 15, total: 115))
    XCTAssertNil(MachineLoad.parseStat("cpu0 1 2 3 4\n"))
    XCTAssertNil(MachineLoad.parseStat("cpu  1 x 3 4\n"))
    XCTAssertNil(MachineLoad.parseStat(""))
  }

  func testParsesTheOneMinuteLoadAverage() {
    XCTAssertEqual(MachineLoad.parseLoadAverage("5.15 2.16 0.84 3/117 8386\n"), 5.15)
    XCTAssertNil(MachineLoad.parseLoadAverage("busy"))
  }

  func snapshot(busy: UInt64, own: Double, wall: Double) -> MachineLoad.Snapshot {
    MachineLoad.Snapshot(machine: .init(busy: busy, total: busy + 1000), ownCPUSeconds: own, wallSeconds: wall)
  }

  func testOtherProcessesAreTheMachinesBusyTimeMinusOurOwn() throws {
    // Over 2 s at 100 ticks/s the machine was busy 3.2 s, 1.2 s of it ours: 1 core of others.
    let load = try XCTUnwrap(
      MachineLoad.between(snapshot(busy: 1000, own: 5, wall: 10), snapshot(busy: 1320, own: 6.2, wall: 12), ticksPerSecond: 100, loadAverage: 2.1, cores: 2))
    XCTAssertEqual(load.otherBusyCores, 1.0, accuracy: 1e-9)
    XCTAssertTrue(load.isLoaded)
    XCTAssertEqual(load.text, "other processes kept 1.0 of 2 cores busy (1-minute load average 2.10)")
    let warning = try XCTUnwrap(load.warning(measuring: "the final network", milliseconds: 4.5))
    XCTAssertTrue(warning.contains("the final network measured 4.500 ms while other processes kept 1.0 of 2 cores busy"), warning)
    XCTAssertTrue(warning.contains("measured_under_load"), warning)
    XCTAssertTrue(warning.contains("nas latency measure"), warning)
  }

  func testAQuietMachineIsNotMarked() throws {
    // Only our own work: the tick counter's rounding may put it a little under our CPU time.
    let quiet = try XCTUnwrap(
      MachineLoad.between(snapshot(busy: 1000, own: 5, wall: 10), snapshot(busy: 1099, own: 6, wall: 11), ticksPerSecond: 100, loadAverage: nil, cores: 2))
    XCTAssertEqual(quiet.otherBusyCores, 0)
    XCTAssertFalse(quiet.isLoaded)
    XCTAssertNil(quiet.warning(measuring: "x", milliseconds: 1))
    let light = try XCTUnwrap(
      MachineLoad.between(snapshot(busy: 0, own: 0, wall: 0), snapshot(busy: 40, own: 0, wall: 1), ticksPerSecond: 100, loadAverage: nil, cores: 4))
    XCTAssertEqual(light.otherBusyCores, 0.4, accuracy: 1e-9)
    XCTAssertFalse(light.isLoaded)
  }

  func testTooShortAnIntervalOrACounterGoingBackGivesNothing() {
    XCTAssertNil(MachineLoad.between(snapshot(busy: 10, own: 0, wall: 5), snapshot(busy: 20, own: 0, wall: 5), ticksPerSecond: 100, loadAverage: nil, cores: 2))
    XCTAssertNil(
      MachineLoad.between(snapshot(busy: 10, own: 0, wall: 5), snapshot(busy: 11, own: 0, wall: 5.1), ticksPerSecond: 100, loadAverage: nil, cores: 2),
      "10 ticks cannot tell 0.1 from 0.2 cores")
    XCTAssertNil(MachineLoad.between(snapshot(busy: 20, own: 0, wall: 5), snapshot(busy: 10, own: 0, wall: 6), ticksPerSecond: 100, loadAverage: nil, cores: 2))
  }

  func testSamplesThisMachineAroundABody() {
    let (value, load) = MachineLoad.during { 42 }
    XCTAssertEqual(value, 42)
    XCTAssertNil(load, "an instant is too short to measure a load over")
    if FileManager.default.fileExists(atPath: "/proc/stat") { XCTAssertNotNil(MachineLoad.snapshot()) }
  }
}
