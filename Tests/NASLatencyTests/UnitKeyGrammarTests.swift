import NASArch
import NASSpace
import XCTest

@testable import NASLatency

/// Stored samples are identified by their unit key text, so the keys `nas bench` writes for the
/// shipped spaces and references must stay byte-identical, and every key must read back to the
/// configuration it was written from. `Fixtures/unit-keys.txt` holds the keys of the default
/// bench plan (`NAS_UPDATE_UNIT_KEYS=1` rewrites it, for a deliberate change of the key format,
/// which also needs a migration of the stored samples).
final class UnitKeyGrammarTests: XCTestCase {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/unit-keys.txt")

  func benchPlanKeys() throws -> [String] {
    let folder = Self.root.appendingPathComponent("search-spaces")
    let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    let spaces = try names.filter { $0.hasSuffix(".space") }.map { try DSL.loadSpace(path: folder.appendingPathComponent($0).path) }
    let referenceFolder = folder.appendingPathComponent("reference")
    let references = try FileManager.default.contentsOfDirectory(atPath: referenceFolder.path).sorted().filter { $0.hasSuffix(".arch") }
      .map { try DSL.loadArchitecture(path: referenceFolder.appendingPathComponent($0).path) }
    return try BenchPlan.make(spaces: spaces, references: references).items.map(\.key)
  }

  func testTheShippedSpacesKeysAreByteIdentical() throws {
    let keys = try benchPlanKeys()
    if ProcessInfo.processInfo.environment["NAS_UPDATE_UNIT_KEYS"] == "1" {
      try (keys.joined(separator: "\n") + "\n").write(to: Self.fixture, atomically: true, encoding: .utf8)
    }
    let stored = try String(contentsOf: Self.fixture, encoding: .utf8).split(separator: "\n").map(String.init)
    XCTAssertGreaterThan(stored.count, 1000)
    XCTAssertEqual(keys.count, stored.count)
    for (made, kept) in zip(keys, stored) where made != kept {
      XCTFail("key changed:\n  stored \(kept)\n  now    \(made)")
      break
    }
  }

  func testEveryKeyReadsBackToItself() throws {
    let stored = try String(contentsOf: Self.fixture, encoding: .utf8).split(separator: "\n").map(String.init)
    for key in stored {
      let configuration = try UnitKey.parse(key)
      XCTAssertEqual(UnitKey.text(configuration), key)
    }
  }
}
