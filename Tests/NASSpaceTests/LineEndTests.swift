import NASArch
import NASSpace
import NASSupport
import XCTest

/// Files with CRLF or lone-CR line ends load exactly as their LF originals, errors in them
/// point at the right line and column, and no error message carries raw control characters.
final class LineEndTests: XCTestCase {
  func converted(_ text: String, to lineEnd: String) -> String {
    text.components(separatedBy: "\n").joined(separator: lineEnd)
  }

  func testCRLFAndCRSpacesLoadLikeTheLFOriginal() throws {
    let path = Fixtures.spacesDirectory.appendingPathComponent("mnasnet.space").path
    let lf = Fixtures.text(path)
    XCTAssertFalse(lf.contains("\r"))
    let original = try DSL.parseSpace(lf, file: path)
    for lineEnd in ["\r\n", "\r"] {
      let text = converted(lf, to: lineEnd)
      XCTAssertNotEqual(text, lf)
      let space = try DSL.parseSpace(text, file: path)
      XCTAssertEqual(space.contentHash, original.contentHash)
      XCTAssertEqual(space.sourceTextHash, original.sourceTextHash)
      XCTAssertEqual(try space.size(), try original.size())
      XCTAssertEqual(space.decisions.map(\.name), original.decisions.map(\.name))
      XCTAssertEqual(try SpaceSummary(space).text(), try SpaceSummary(original).text())
      var a = SeededGenerator(seed: 16), b = SeededGenerator(seed: 16)
      for _ in 0..<5 {
        XCTAssertEqual(try space.sample(using: &a).canonicalText(), try original.sample(using: &b).canonicalText())
      }
    }
  }

  func testCRLFAndCRArchitecturesHaveTheOriginalCanonicalText() throws {
    for path in Fixtures.referenceFiles {
      let lf = Fixtures.text(path)
      let original = try DSL.parseArchitecture(lf, file: path)
      for lineEnd in ["\r\n", "\r"] {
        let arch = try DSL.parseArchitecture(converted(lf, to: lineEnd), file: path)
        XCTAssertEqual(arch.canonicalText(), original.canonicalText(), path)
        XCTAssertEqual(arch.canonicalHash, original.canonicalHash, path)
      }
    }
    XCTAssertEqual(Fixtures.referenceFiles.count, 8)
  }

  func testErrorPositionsCountCRLFAsOneLineEnd() {
    let lf = "input 224 channels=3\nclasses 10\n\nstem conv k=3 s=2 out=16 act=hwsish\nhead pool\nclassifier\n"
    for lineEnd in ["\n", "\r\n", "\r"] {
      XCTAssertThrowsError(try DSL.parseSpace(converted(lf, to: lineEnd), file: "t.space")) { e in
        let error = e as! DSLError
        XCTAssertEqual(error.kind, .badValue)
        XCTAssertEqual(error.location.line, 4, error.description)
        XCTAssertEqual(error.location.column, 30, error.description)
        XCTAssertEqual(error.hint, "did you mean hswish?")
      }
    }
    // A set spanning lines, and a mixed file: every kind of line end counts once.
    let mixed = "input 224 channels=3\r\nclasses 10\rstem conv k={3,\r\n5} s=2 out=16\nblock conv out=8 bogus=1\r\nhead pool\nclassifier\n"
    XCTAssertThrowsError(try DSL.parseSpace(mixed, file: "t.space")) { e in
      XCTAssertEqual((e as! DSLError).location, SourceLocation(file: "t.space", line: 5, column: 18), "\(e)")
    }
  }

  func testAQuotedNameStopsAtACRLF() {
    XCTAssertThrowsError(try DSL.parseSpace("name \"abc\r\ninput 224 channels=3\r\n", file: "t.space")) { e in
      let error = e as! DSLError
      XCTAssertEqual(error.message, "unterminated string")
      XCTAssertEqual(error.location.line, 1)
    }
  }

  func hasRawControls(_ s: String) -> Bool {
    s.unicodeScalars.contains { $0.properties.generalCategory == .control || $0.properties.generalCategory == .format }
  }

  func testControlCharactersAreEscapedInErrors() {
    let header = "input 224 channels=3\nclasses 10\n"
    let cases: [(String, String)] = [
      (header + "stem conv k=3 out=16 act=relu\u{1B}[2J\nhead pool\nclassifier\n", "\\u{1B}"),
      (header + "stem conv k=3\u{7} out=16\nhead pool\nclassifier\n", "\\u{7}"),
      (header + "\u{0}stem conv k=3 out=16\nhead pool\nclassifier\n", "\\u{0}"),
      (header + "stem conv k=3 out=16 act=re\u{202E}lu\nhead pool\nclassifier\n", "\\u{202E}"),
      ("name \u{8}x\ninput 224\n", "\\u{8}"),
    ]
    for (text, escape) in cases {
      XCTAssertThrowsError(try DSL.parseSpace(text, file: "t\u{7}.space")) { e in
        let error = e as! DSLError
        XCTAssertFalse(hasRawControls(error.description), error.description.debugDescription)
        XCTAssertFalse(hasRawControls(error.message))
        XCTAssertFalse(hasRawControls(error.hint ?? ""))
        XCTAssertTrue(error.description.contains(escape), error.description)
        XCTAssertTrue(error.description.hasPrefix("t\\u{7}.space:"), error.description)
      }
    }
  }
}
