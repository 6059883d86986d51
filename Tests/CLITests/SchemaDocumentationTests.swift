import Foundation
import XCTest

/// Every example query in docs/results-schema.md runs in the plain sqlite3 shell.
final class SchemaDocumentationTests: XCTestCase {
  func testDocumentedQueriesRunInTheSqlite3Shell() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nas-doc-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let db = dir.appendingPathComponent("nas.sqlite").path
    XCTAssertEqual(try CommandRunner.writeRows(db, rows: 5).status, 0)
    let doc = try String(contentsOf: CommandRunner.root.appendingPathComponent("docs/results-schema.md"), encoding: .utf8)
    let block = doc.components(separatedBy: "```sql").last?.components(separatedBy: "```").first ?? ""
    let queries = block.split(separator: "\n").filter { !$0.hasPrefix("--") && !$0.trimmingCharacters(in: .whitespaces).isEmpty }
    XCTAssertGreaterThanOrEqual(queries.count, 5)
    for query in queries {
      let p = Process()
      p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
      p.arguments = ["-readonly", db, String(query)]
      let err = Pipe(), out = Pipe()
      p.standardError = err
      p.standardOutput = out
      try p.run()
      let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      p.waitUntilExit()
      XCTAssertEqual(p.terminationStatus, 0, "\(query): \(message)")
      XCTAssertFalse(output.isEmpty && !query.contains("failed"), "\(query) returned nothing")
    }
  }
}
