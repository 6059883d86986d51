import NASArch
import NASSpace
import XCTest

/// Every class of malformed input gives `file:line:col: message` with the right position.
final class ErrorTests: XCTestCase {
  let header = "input 224 channels=3\nclasses 10\n"
  let tail = "head pool\nclassifier\n"

  func expect(
    _ text: String, _ kind: DSLError.Kind, line: Int, column: Int, hint: String? = nil, architecture: Bool = false,
    file: StaticString = #filePath, sourceLine: UInt = #line
  ) {
    do {
      if architecture {
        _ = try DSL.parseArchitecture(text, file: "t.arch")
      } else {
        _ = try DSL.parseSpace(text, file: "t.space")
      }
      XCTFail("expected a \(kind) error", file: file, line: sourceLine)
    } catch {
      XCTAssertEqual(error.kind, kind, error.description, file: file, line: sourceLine)
      XCTAssertEqual(error.location.line, line, error.description, file: file, line: sourceLine)
      XCTAssertEqual(error.location.column, column, error.description, file: file, line: sourceLine)
      XCTAssertTrue(error.description.hasPrefix("t.\(architecture ? "arch" : "space"):\(line):\(column): "), file: file, line: sourceLine)
      if let hint { XCTAssertEqual(error.hint, hint, file: file, line: sourceLine) }
    }
  }

  func testUnknownKeywordWithHint() {
    expect("inptu 224\n", .unknownKeyword, line: 1, column: 1, hint: "did you mean input?")
  }

  func testUnknownActivationWithHint() {
    expect(header + "stem conv k=3 s=2 out=16 act=hwsish\n" + tail, .badValue, line: 3, column: 30, hint: "did you mean hswish?")
  }

  func testUnknownOpAndAttribute() {
    expect(header + "block mbcnov k=3 out=16\n" + tail, .badValue, line: 3, column: 7, hint: "did you mean mbconv?")
    expect(header + "stem conv kk=3 out=16\n" + tail, .unknownAttribute, line: 3, column: 11)
    expect(header + "stem conv k=3 out=16 repeat=2\n" + tail, .unknownAttribute, line: 3, column: 22)
  }

  func testOutOfRangeNumbers() {
    expect(header + "stem conv k=4 out=16\n" + tail, .outOfRange, line: 3, column: 13)
    expect(header + "stem conv k=3 s=9 out=16\n" + tail, .outOfRange, line: 3, column: 17)
    expect("input 0\nclasses 10\n", .outOfRange, line: 1, column: 7)
    expect(header + "stem conv k=3 out=0\n" + tail, .outOfRange, line: 3, column: 19)
    expect(header + "block mbconv k=3 out=16 se=1.5\n" + tail, .outOfRange, line: 3, column: 28)
    expect(header + "stem conv k=3 out=abc\n" + tail, .badValue, line: 3, column: 19)
    expect(header + "stem conv k=3 out=99999999999999999999999\n" + tail, .badValue, line: 3, column: 19)
  }

  func testDuplicateAndMissingSections() {
    expect("input 224\nclasses 10\nclasses 5\n", .duplicate, line: 3, column: 1)
    expect(header + "stem conv k=3 out=16 k=5\n" + tail, .duplicate, line: 3, column: 22)
    expect("classes 10\nstem conv k=3 out=8\n" + tail, .missing, line: 5, column: 1)
    expect(header + "stem conv k=3 out=8\nhead pool\n", .missing, line: 5, column: 1)
    expect(header + "stem conv k=3 out=8\nhead pool\nclassifier\nclassifier\n", .duplicate, line: 6, column: 1)
    expect(header + "stem conv k=3\n" + tail, .missing, line: 3, column: 1)
  }

  func testOrder() {
    expect(header + "head pool\nblock conv k=3 out=8\nclassifier\n", .order, line: 4, column: 1)
    expect(header + "stem conv k=3 out=8\nwidth 0.5\n" + tail, .order, line: 4, column: 1)
    expect(header + "stem conv k=3 out=8\nclassifier\n", .order, line: 4, column: 1)
  }

  func testImpossibleShapes() {
    // Resolution collapsing below 1 is reported at the statement where it happens.
    // ("same" padding keeps every map at least 1x1, so a stride on a 1x1 map is the collapse.)
    let collapse = "input 4 channels=3\nclasses 10\nstem conv k=3 s=2 out=8\nblock conv k=3 s=2 out=8\nblock conv k=3 s=2 out=8\n" + tail
    expect(collapse, .impossibleShape, line: 5, column: 1)
    expect("input 224\nclasses 10\nresolution 0.001\nstem conv k=3 out=8\n" + tail, .impossibleShape, line: 3, column: 12)
    // A residual across a stride, at the skip attribute.
    expect(header + "stem conv k=3 s=2 out=16\nblock mbconv k=3 s=2 expand=6 out=16 skip=identity\n" + tail, .impossibleShape, line: 4, column: 43)
    // A residual across a change of channels.
    expect(header + "stem conv k=3 s=2 out=16\nblock mbconv k=3 s=1 expand=6 out=24 skip=identity\n" + tail, .impossibleShape, line: 4, column: 43)
    // RepViT keeps its width.
    expect(header + "stem conv k=3 s=2 out=16\nblock repvit k=3 out=24\n" + tail, .impossibleShape, line: 4, column: 1)
  }

  func testSyntax() {
    expect(header + "block mbconv k={3,5 out=16\n" + tail, .syntax, line: 3, column: 21)
    expect(header + "block mbconv k={} out=16\n" + tail, .syntax, line: 3, column: 17)
    expect("name \"open\n", .syntax, line: 1, column: 6)
    expect(header + "stem conv k=3 out=16 ;\n" + tail, .syntax, line: 3, column: 22)
    expect("= 3\n", .syntax, line: 1, column: 1)
    expect(header + "block mbconv k={3,3} out=16\n" + tail, .duplicate, line: 3, column: 19)
  }

  func testChoicesAreRefusedInArchitectures() {
    expect(header + "block mbconv k={3,5} out=16\n" + tail, .choiceInArchitecture, line: 3, column: 16, architecture: true)
  }

  func testMissingFile() {
    XCTAssertThrowsError(try DSL.loadSpace(path: "/nonexistent/x.space")) { error in
      XCTAssertEqual((error as? DSLError)?.kind, .io)
      XCTAssertTrue("\(error)".contains("/nonexistent/x.space:1:1: no such file"))
    }
  }
}
