import Foundation
import NASArch
import NASSpace
import NASSupport
import XCTest

/// Random mutations of the shipped files must give a clean error or a valid result, never a
/// trap. The count defaults to 10,000 and can be set with NAS_FUZZ_COUNT.
final class FuzzTests: XCTestCase {
  static let numbers = ["0", "-1", "1", "2", "3", "7", "8", "16", "64", "4096", "65536", "99999999999", "1e308", "0.0001", "-0", "2.5", "1e-9", "-64", "+1"]
  static let words = [
    "input", "classes", "width", "resolution", "divisor", "batchnorm", "stem", "block", "head", "classifier", "pool", "conv",
    "sepconv", "mbconv", "repvit", "repvit-down", "k", "s", "out", "mid", "expand", "se", "se-ch", "skip", "identity",
    "none", "relu", "hswish", "gelu", "choose", "per-layer", "repeat", "depth", "name", "yes", "folded", "scale", "up",
    "let", "use", "mnas", "stage",
  ]
  static let fragments = ["{", "}", "=", ",", "#", "\"", "\n", " ", "{3,5}", "{}", "=={", "x", "\\", "\t", "é", "0.", ".5"]

  func mutate(_ text: String, _ rng: inout SeededGenerator) -> String {
    var lines = text.components(separatedBy: "\n")
    var chars = Array(text)
    switch rng.uniform(below: 8) {
    case 0 where !chars.isEmpty:
      let start = rng.uniform(below: chars.count)
      chars.removeSubrange(start..<min(chars.count, start + 1 + rng.uniform(below: 5)))
      return String(chars)
    case 1:
      chars.insert(contentsOf: Array(rng.pick(Self.fragments)), at: rng.uniform(below: chars.count + 1))
      return String(chars)
    case 2, 3:
      return replaceToken(text, &rng, with: rng.uniform(below: 2) == 0 ? rng.pick(Self.numbers) : rng.pick(Self.words))
    case 4 where !lines.isEmpty:
      let i = rng.uniform(below: lines.count)
      lines.insert(lines[i], at: rng.uniform(below: lines.count + 1))
    case 5 where !lines.isEmpty:
      lines.remove(at: rng.uniform(below: lines.count))
    case 6 where lines.count > 1:
      lines.swapAt(rng.uniform(below: lines.count), rng.uniform(below: lines.count))
    default:
      return replaceToken(text, &rng, with: "{" + rng.pick(Self.numbers) + "," + rng.pick(Self.numbers) + "}")
    }
    return lines.joined(separator: "\n")
  }

  func replaceToken(_ text: String, _ rng: inout SeededGenerator, with replacement: String) -> String {
    var chars = Array(text)
    guard !chars.isEmpty else { return replacement }
    var i = rng.uniform(below: chars.count)
    while i < chars.count, !(chars[i].isLetter || chars[i].isNumber) { i += 1 }
    guard i < chars.count else { return text }
    var start = i, end = i
    while start > 0, chars[start - 1].isLetter || chars[start - 1].isNumber || "-.".contains(chars[start - 1]) { start -= 1 }
    while end < chars.count, chars[end].isLetter || chars[end].isNumber || "-.".contains(chars[end]) { end += 1 }
    chars.replaceSubrange(start..<end, with: Array(replacement))
    return String(chars)
  }

  func testRandomMutationsGiveCleanErrorsOrValidResults() throws {
    let count = Int(ProcessInfo.processInfo.environment["NAS_FUZZ_COUNT"] ?? "") ?? 10_000
    let files = (Fixtures.spaceFiles + Fixtures.referenceFiles).map { ($0, Fixtures.text($0)) }
    XCTAssertEqual(files.count, 11)
    var rng = SeededGenerator(seed: 2026)
    var valid = 0, errors = 0
    var kinds: [DSLError.Kind: Int] = [:]
    let start = Date()
    for _ in 0..<count {
      let (path, original) = rng.pick(files)
      var text = original
      for _ in 0...rng.uniform(below: 3) { text = mutate(text, &rng) }
      do {
        let space = try DSL.parseSpace(text, file: path)
        let arch = try space.sample(using: &rng)
        let report = try ArchitectureReport(arch)
        XCTAssertEqual(report.macs, try arch.costs().macs)
        let reparsed = try DSL.parseArchitecture(arch.canonicalText(), file: "canonical")
        XCTAssertEqual(reparsed, arch, "round trip failed for a mutation of \(path):\n\(text)")
        // The space's canonical text reads back to the same text (and so the same hash); on
        // every 8th valid mutation, as parsing again resolves the whole space again.
        if valid % 8 == 0 {
          let canonical = space.canonicalText()
          XCTAssertEqual(
            try DSL.parseSpace(canonical, file: "canonical").canonicalText(), canonical,
            "canonical text round trip failed for a mutation of \(path):\n\(text)")
        }
        valid += 1
      } catch let error as DSLError {
        XCTAssertFalse(error.message.isEmpty)
        XCTAssertGreaterThanOrEqual(error.location.line, 1)
        kinds[error.kind, default: 0] += 1
        errors += 1
      } catch {
        // Any other error must still be a typed error with a message.
        XCTAssertFalse("\(error)".isEmpty)
        errors += 1
      }
    }
    let summary = kinds.sorted { $0.value > $1.value }.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", ")
    print("fuzz: \(count) mutations in \(String(format: "%.1f", Date().timeIntervalSince(start))) s: \(valid) valid, \(errors) clean errors (\(summary))")
    XCTAssertEqual(valid + errors, count)
    XCTAssertGreaterThan(valid, count / 20, "mutations should often stay valid")
  }
}
