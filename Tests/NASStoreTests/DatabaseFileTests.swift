import Foundation
import GRDB
import NASArch
import NASStore
import XCTest

/// What is at `--db` is checked before anything is written: a damaged database is refused with
/// SQLite's finding, and a directory or a database in a folder SQLite cannot write in is named
/// as such, not as "not a SQLite database".
final class DatabaseFileTests: XCTestCase {
  var directory: URL!

  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("nas-dbfile-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws {
    try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
    try? FileManager.default.removeItem(at: directory)
  }

  let arch = Architecture(
    name: "tiny", inputSize: 8, inputChannels: 3, classes: 4,
    units: [
      Unit(role: .stem, op: .conv, kernel: 3, stride: 2, outChannels: 8, activation: .relu),
      Unit(role: .head, op: .pool),
      Unit(role: .classifier, op: .classifier, outChannels: 4, normalization: .none),
    ])

  /// A database with enough evaluations to span several pages, checkpointed into the main file.
  func populatedDatabase() throws -> String {
    let path = directory.appendingPathComponent("nas.sqlite").path
    let store = try ResultsStore.open(path: path)
    let run = try store.createRun(
      kind: .search, name: "t", commandLine: "nas search", parametersJSON: "{}", spacePath: nil, spaceHash: nil, seed: 1,
      toolVersion: "test", deviceProfile: nil)
    for trial in 1...200 {
      let id = try store.beginEvaluation(
        run: run, architecture: arch, trial: trial, evaluator: "zen", evaluatorConfigJSON: "{}", predictedLatencyMs: 1,
        deviceProfile: nil)
      try store.finishEvaluation(
        id, .init(status: .ok, accuracy: 0.5, reward: 0.5, message: String(repeating: "m", count: 100), reused: false, wallSeconds: 1))
    }
    let queue = try DatabaseQueue(path: path)
    try queue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
    try queue.close()
    return path
  }

  /// Overwrites a leaf page of `evaluations` (not its root) with garbage.
  func damageEvaluations(_ path: String) throws -> Int {
    let queue = try DatabaseQueue(path: path)
    let (pageSize, pages) = try queue.read { db -> (Int, [Int]) in
      let size = try Int.fetchOne(db, sql: "PRAGMA page_size")!
      let pages = try Int.fetchAll(db, sql: "SELECT pageno FROM dbstat WHERE name = 'evaluations' AND pagetype = 'leaf'")
      return (size, pages)
    }
    try queue.close()
    let page = try XCTUnwrap(pages.dropFirst().first, "evaluations should span several pages")
    let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: path))
    try handle.seek(toOffset: UInt64((page - 1) * pageSize))
    handle.write(Data(repeating: 0xA5, count: pageSize))
    try handle.close()
    return page
  }

  func testADamagedDatabaseIsRefusedBeforeAnyWrite() throws {
    let path = try populatedDatabase()
    _ = try damageEvaluations(path)
    let before = try Data(contentsOf: URL(fileURLWithPath: path))
    XCTAssertThrowsError(try ResultsStore.open(path: path)) { error in
      guard case StoreError.damaged(let p, let findings) = error else { return XCTFail("\(error)") }
      XCTAssertEqual(p, path)
      XCTAssertFalse(findings.isEmpty)
      XCTAssert("\(error)".contains("nothing was written"), "\(error)")
    }
    XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before, "the damaged file was changed")
  }

  func testADirectoryIsNamedAsOne() throws {
    XCTAssertThrowsError(try ResultsStore.openReadOnly(path: directory.path)) { error in
      XCTAssert("\(error)".contains("is a directory"), "\(error)")
    }
    XCTAssertThrowsError(try ResultsStore.open(path: directory.path)) { error in
      XCTAssert("\(error)".contains("is a directory"), "\(error)")
    }
  }

  func testAFileThatIsNotSQLiteIsNamedAsSuch() throws {
    let path = directory.appendingPathComponent("notes.txt").path
    try "hello, this is not a database at all".write(toFile: path, atomically: true, encoding: .utf8)
    XCTAssertThrowsError(try ResultsStore.open(path: path)) { error in
      XCTAssert("\(error)".contains("not a SQLite database"), "\(error)")
    }
  }
}
