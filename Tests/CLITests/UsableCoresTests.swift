import Foundation
import NASSupport
import XCTest

/// `UsableCores`: the CPU lists Linux writes, and the count following this process's affinity.
final class UsableCoresTests: XCTestCase {
  func testCPUListCounts() {
    XCTAssertEqual(UsableCores.cpuListCount("0"), 1)
    XCTAssertEqual(UsableCores.cpuListCount("0-1"), 2)
    XCTAssertEqual(UsableCores.cpuListCount("\t0-3,8,10-11\n"), 7)
    XCTAssertNil(UsableCores.cpuListCount("3-1"))
    XCTAssertNil(UsableCores.cpuListCount("a"))
    XCTAssertNil(UsableCores.cpuListCount("1-2-3"))
  }

  /// Narrowing this process to one core with `taskset -p` (what `taskset -c 0 nas search` does
  /// to a new process) makes the count 1; the affinity is put back afterwards.
  func testFollowsAffinity() throws {
    #if os(Linux)
    let taskset = "/usr/bin/taskset"
    guard FileManager.default.isExecutableFile(atPath: taskset), ProcessInfo.processInfo.activeProcessorCount >= 2 else {
      throw XCTSkip("needs taskset and two cores")
    }
    let all = UsableCores.count
    XCTAssertEqual(all, ProcessInfo.processInfo.activeProcessorCount)
    let pid = String(ProcessInfo.processInfo.processIdentifier)
    func set(_ list: String) throws {
      let p = Process()
      p.executableURL = URL(fileURLWithPath: taskset)
      p.arguments = ["-a", "-p", "-c", list, pid]
      p.standardOutput = FileHandle.nullDevice
      try p.run()
      p.waitUntilExit()
      XCTAssertEqual(p.terminationStatus, 0)
    }
    try set("0")
    let narrowed = UsableCores.count
    try set("0-\(all - 1)")
    XCTAssertEqual(narrowed, 1)
    XCTAssertEqual(UsableCores.count, all)
    #else
    throw XCTSkip("affinity is read on Linux only")
    #endif
  }
}
