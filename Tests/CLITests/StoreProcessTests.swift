import Foundation
import XCTest

/// The database shared by processes: several writers at once, and a writer killed with SIGKILL.
final class StoreProcessTests: XCTestCase {
  func temporaryDatabase() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nas-proc-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent("nas.sqlite").path
  }

  /// Starts the tests' database writer.
  func launch(_ arguments: [String], output: Pipe) throws -> Process {
    let p = Process()
    p.executableURL = CommandRunner.writer
    p.arguments = arguments
    p.standardOutput = output
    p.standardError = output
    try p.run()
    return p
  }

  func count(_ db: String, _ sql: String) throws -> String {
    let r = try CommandRunner.run(["db", "sql", "--db", db, "--json", sql])
    XCTAssertEqual(r.status, 0, r.stderr)
    let rows = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: String]]
    return rows?.first?.values.first ?? "?"
  }

  func testFourWritersEndWithEveryRowAndNoLockError() throws {
    let db = try temporaryDatabase()
    let rows = 150
    let start = Date()
    var processes: [(Process, Pipe)] = []
    for w in 0..<4 {
      let pipe = Pipe()
      processes.append((try launch(["--db", db, "--rows", String(rows), "--tag", "w\(w)"], output: pipe), pipe))
    }
    var outputs: [String] = []
    for (p, pipe) in processes {
      let data = pipe.fileHandleForReading.readDataToEndOfFile()
      p.waitUntilExit()
      outputs.append(String(decoding: data, as: UTF8.self))
      XCTAssertEqual(p.terminationStatus, 0, outputs.last!)
    }
    let seconds = Date().timeIntervalSince(start)
    XCTAssertFalse(outputs.joined().contains("locked"), outputs.joined())
    XCTAssertEqual(try count(db, "SELECT COUNT(*) FROM evaluations WHERE status = 'ok'"), String(4 * rows))
    XCTAssertEqual(try count(db, "SELECT COUNT(*) FROM runs"), "4")
    let integrity = try count(db, "PRAGMA integrity_check")
    XCTAssertEqual(integrity, "ok")
    print("four writers: \(4 * rows) evaluations committed in \(String(format: "%.2f", seconds)) s, integrity_check \(integrity)")
  }

  func testKilledWriterLeavesAConsistentDatabase() throws {
    let db = try temporaryDatabase()
    let pipe = Pipe()
    let p = try launch(["--db", db, "--rows", "100000"], output: pipe)
    // Wait until some rows are committed, then kill without warning.
    var seen = ""
    while !seen.contains("committed 50\n") {
      let chunk = pipe.fileHandleForReading.availableData
      if chunk.isEmpty { break }
      seen += String(decoding: chunk, as: UTF8.self)
    }
    kill(p.processIdentifier, SIGKILL)
    p.waitUntilExit()
    seen += String(decoding: pipe.fileHandleForReading.availableData, as: UTF8.self)
    let reported = seen.split(separator: "\n").filter { $0.hasPrefix("committed") }.count
    let ok = Int(try count(db, "SELECT COUNT(*) FROM evaluations WHERE status = 'ok'")) ?? -1
    let integrity = try count(db, "PRAGMA integrity_check")
    XCTAssertEqual(integrity, "ok")
    // Everything reported as committed is there; at most the evaluation in flight is lost.
    XCTAssertGreaterThanOrEqual(ok, reported)
    XCTAssertLessThanOrEqual(Int(try count(db, "SELECT COUNT(*) FROM evaluations")) ?? 0, ok + 1)
    print("kill -9: \(reported) evaluations reported committed, \(ok) found after reopening, integrity_check \(integrity)")
  }
}
