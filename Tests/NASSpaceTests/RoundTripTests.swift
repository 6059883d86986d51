import NASArch
import NASSpace
import NASSupport
import XCTest

/// Printing gives canonical text, and parsing it gives the same model and hash (property-based
/// over many samples of every shipped space).
final class RoundTripTests: XCTestCase {
  func testSamplesOfEveryShippedSpaceRoundTrip() throws {
    XCTAssertEqual(Fixtures.spaceFiles.count, 3)
    for file in Fixtures.spaceFiles {
      let space = try DSL.loadSpace(path: file)
      var rng = SeededGenerator(seed: 42)
      var hashes = Set<String>()
      for _ in 0..<150 {
        let arch = try space.sample(using: &rng)
        let text = arch.canonicalText()
        let parsed = try DSL.parseArchitecture(text, file: "canonical")
        XCTAssertEqual(parsed, arch, "\(file): round trip changed the model:\n\(text)")
        XCTAssertEqual(parsed.canonicalHash, arch.canonicalHash)
        XCTAssertEqual(parsed.canonicalText(), text)
        XCTAssertEqual(try parsed.costs(), try arch.costs())
        hashes.insert(arch.canonicalHash)
      }
      XCTAssertGreaterThan(hashes.count, 100, "\(file): samples should mostly differ")
    }
  }

  func testReferenceNetworksRoundTrip() throws {
    for file in Fixtures.referenceFiles {
      let arch = try DSL.loadArchitecture(path: file)
      let parsed = try DSL.parseArchitecture(arch.canonicalText(), file: "canonical")
      XCTAssertEqual(parsed, arch, file)
    }
  }

  func testSamplingIsDeterministicForASeed() throws {
    let space = try DSL.loadSpace(path: Fixtures.spaceFiles[0])
    var a = SeededGenerator(seed: 7), b = SeededGenerator(seed: 7)
    for _ in 0..<20 {
      XCTAssertEqual(try space.sample(using: &a).canonicalHash, try space.sample(using: &b).canonicalHash)
    }
  }

  func testHashIgnoresNameAndFormatting() throws {
    let a = try DSL.parseArchitecture(
      "name one\ninput 32 channels=3\nclasses 10\nstem conv k=3 s=2 out=8 act=relu\nhead pool\nclassifier\n", file: "a")
    let b = try DSL.parseArchitecture(
      "# comment\ninput   32   channels=3\nclasses 10\n\nstem   conv out=8 act=relu s=2 k=3   # trailing\nhead pool\nclassifier",
      file: "b")
    XCTAssertEqual(a.canonicalHash, b.canonicalHash)
    XCTAssertEqual(a.canonicalHash.count, 64)
  }

  func testKnownHashIsStable() throws {
    // The hash is the database key: it must never change for the same network.
    let a = try DSL.parseArchitecture(
      "input 32 channels=3\nclasses 10\nstem conv k=3 s=2 out=8 act=relu\nhead pool\nclassifier\n", file: "a")
    XCTAssertEqual(a.canonicalText(), "input 32 channels=3\nclasses 10\nstem conv k=3 s=2 out=8 act=relu\nhead pool\nclassifier\n")
    XCTAssertEqual(a.canonicalHash, SHA256.hex(a.canonicalText(includeName: false)))
    XCTAssertEqual(SHA256.hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
  }
}
