import Foundation
import NASSupport
import XCTest

/// `OutputFile`: what each kind of path becomes after a write, and the checks commands run
/// before their work.
final class OutputFileTests: XCTestCase {
  var directory: URL!

  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("nas-output-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

  func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

  func kind(_ path: String) -> mode_t {
    var st = stat()
    XCTAssertEqual(lstat(path, &st), 0, "\(path) missing")
    return st.st_mode & S_IFMT
  }

  func contents(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

  /// The files in the test folder (a failed atomic write must not leave its temporary file).
  func names() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() }

  func testNewAndExistingRegularFilesAreWrittenAndKeepTheirPermissions() throws {
    let file = path("a.txt")
    try OutputFile.write("one", to: file)
    XCTAssertEqual(contents(file), "one")
    XCTAssertEqual(chmod(file, 0o600), 0)
    try OutputFile.write("two", to: file)
    XCTAssertEqual(contents(file), "two")
    XCTAssertEqual(kind(file), S_IFREG)
    let attributes = try FileManager.default.attributesOfItem(atPath: file)
    XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
    XCTAssertEqual(try names(), ["a.txt"])
  }

  func testASymbolicLinkStaysALinkAndItsTargetIsWritten() throws {
    let target = path("target.txt"), link = path("link.txt")
    try "old".write(toFile: target, atomically: false, encoding: .utf8)
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "target.txt")
    try OutputFile.write("new", to: link)
    XCTAssertEqual(kind(link), S_IFLNK)
    XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link), "target.txt")
    XCTAssertEqual(contents(target), "new")
  }

  func testADanglingLinkCreatesItsTarget() throws {
    let link = path("dangling")
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: path("made.txt"))
    try OutputFile.write("made", to: link)
    XCTAssertEqual(kind(link), S_IFLNK)
    XCTAssertEqual(contents(path("made.txt")), "made")
  }

  func testAFIFOIsWrittenInPlace() throws {
    let fifo = path("pipe")
    XCTAssertEqual(mkfifo(fifo, 0o600), 0)
    let reader = DispatchQueue(label: "reader")
    let received = UnsafeTransfer<Data?>(nil)
    let done = DispatchSemaphore(value: 0)
    reader.async {
      received.value = FileHandle(forReadingAtPath: fifo)?.readDataToEndOfFile()
      done.signal()
    }
    try OutputFile.write("through the pipe", to: fifo)
    done.wait()
    XCTAssertEqual(received.value.map { String(decoding: $0, as: UTF8.self) }, "through the pipe")
    XCTAssertEqual(kind(fifo), S_IFIFO)
  }

  func testACharacterDeviceIsWrittenInPlaceAndItsErrorsReported() throws {
    try OutputFile.write("discarded", to: "/dev/null")
    XCTAssertEqual(kind("/dev/null"), S_IFCHR)
    try XCTSkipUnless(FileManager.default.fileExists(atPath: "/dev/full"), "no /dev/full here")
    XCTAssertThrowsError(try OutputFile.write("x", to: "/dev/full")) { error in
      guard case .writeFailed(let p, let reason) = error as? OutputFileError else { return XCTFail("\(error)") }
      XCTAssertEqual(p, "/dev/full")
      XCTAssertEqual(reason, String(cString: strerror(ENOSPC)))
    }
    XCTAssertEqual(kind("/dev/full"), S_IFCHR)
  }

  func testAFolderAMissingFolderAndAFileAsFolderAreRefused() throws {
    XCTAssertThrowsError(try OutputFile.write("x", to: directory.path)) {
      XCTAssertEqual($0 as? OutputFileError, .isFolder(path: self.directory.path))
    }
    let missing = path("no/such/file.txt")
    XCTAssertThrowsError(try OutputFile.checkWritable(missing)) {
      XCTAssertEqual($0 as? OutputFileError, .missingFolder(path: missing, folder: self.path("no/such")))
    }
    XCTAssertThrowsError(try OutputFile.write("x", to: missing))
    let file = path("plain")
    try OutputFile.write("x", to: file)
    XCTAssertThrowsError(try OutputFile.checkWritable(file + "/inside.txt")) {
      XCTAssertEqual($0 as? OutputFileError, .folderIsNotAFolder(path: file + "/inside.txt", folder: file))
    }
    XCTAssertThrowsError(try OutputFile.checkWritable("")) { XCTAssertEqual($0 as? OutputFileError, .emptyPath) }
    XCTAssertEqual(try names(), ["plain"])
  }

  func testCheckFolderAcceptsWhatCanBeCreated() throws {
    try OutputFile.checkFolder(directory.path)
    try OutputFile.checkFolder(path("new/deeper"))
    let file = path("plain")
    try OutputFile.write("x", to: file)
    XCTAssertThrowsError(try OutputFile.checkFolder(file + "/sub")) {
      XCTAssertEqual($0 as? OutputFileError, .folderIsNotAFolder(path: file + "/sub", folder: file))
    }
  }

  func testTheDatabasePrefixComesFromItsName() {
    XCTAssertEqual(OutputFile.prefix(forDatabase: "results/nas.sqlite"), "nas")
    XCTAssertEqual(OutputFile.prefix(forDatabase: "/x/other.db"), "other")
  }
}

/// A value the reader thread hands back; the semaphore orders the accesses.
final class UnsafeTransfer<T>: @unchecked Sendable {
  var value: T
  init(_ value: T) { self.value = value }
}
