import Foundation
import XCTest

/// docs/architecture.md's module graph, Package.swift's target dependencies and the modules
/// each library's files import are one and the same graph.
final class ModuleGraphDocumentationTests: XCTestCase {
  typealias Graph = [String: Set<String>]

  /// The libraries under Sources/ (the executable and the C targets have no arrows of their own).
  var libraries: [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: CommandRunner.root.appendingPathComponent("Sources").path)) ?? []
    return names.filter { $0.hasPrefix("NAS") }.sorted()
  }

  func text(_ path: String) throws -> String {
    try String(contentsOf: CommandRunner.root.appendingPathComponent(path), encoding: .utf8)
  }

  func matches(_ pattern: String, in text: String) -> [[String]] {
    let regex = try! NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators])
    return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { m in
      (0..<m.numberOfRanges).map { i in Range(m.range(at: i), in: text).map { String(text[$0]) } ?? "" }
    }
  }

  /// The graph block's lines: ` ├─ NAME   what it is → A, B (+ system libraries)`.
  func documented() throws -> Graph {
    let doc = try text("docs/architecture.md")
    let block = try XCTUnwrap(doc.components(separatedBy: "```").dropFirst().first, "no graph block")
    var graph: Graph = [:]
    for line in block.split(separator: "\n") {
      guard let name = matches(#"[├└]─ (\w+)"#, in: String(line)).first?[1] else { continue }
      let arrow = line.split(separator: "→", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
      let targets = arrow.split(separator: "(").first.map(String.init) ?? ""
      graph[name] = Set(targets.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
    }
    return graph
  }

  /// Each library target's dependencies among this package's targets.
  func declared() throws -> Graph {
    let manifest = try text("Package.swift")
    var graph: Graph = [:]
    for m in matches(#"\.target\(\s*name:\s*"(\w+)",\s*dependencies:\s*\[(.*?)\]"#, in: manifest) {
      let local = m[2].replacingOccurrences(of: #"\.product\([^)]*\)"#, with: "", options: .regularExpression)
      graph[m[1]] = Set(matches(#""(\w+)""#, in: local).map { $0[1] })
    }
    return graph
  }

  /// The package's modules each library's Swift files import.
  func imported() throws -> Graph {
    var graph: Graph = [:]
    let modules = Set(libraries + ["CLibPQ", "CNASKernels", "COpenBLAS", "CXNNPack", "CZlib"])
    for library in libraries {
      let dir = CommandRunner.root.appendingPathComponent("Sources/\(library)")
      let files = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
      var uses = Set<String>()
      for file in files where file.pathExtension == "swift" {
        for m in matches(#"(?m)^(?:@testable )?import (\w+)"#, in: try String(contentsOf: file, encoding: .utf8))
        where modules.contains(m[1]) {
          uses.insert(m[1])
        }
      }
      graph[library] = uses
    }
    return graph
  }

  func testPackageSwiftDeclaresExactlyWhatEachLibraryImports() throws {
    let declared = try declared(), imported = try imported()
    for library in libraries {
      XCTAssertEqual(
        declared[library, default: []], imported[library, default: []],
        "\(library): Package.swift declares \(declared[library, default: []].sorted()), its files import \(imported[library, default: []].sorted())")
    }
  }

  /// Everything reachable along the arrows from `start`.
  func reachable(_ graph: Graph, from start: String) -> Set<String> {
    var seen = Set<String>(), stack = Array(graph[start, default: []])
    while let next = stack.popLast() {
      if seen.insert(next).inserted { stack += graph[next, default: []] }
    }
    return seen
  }

  /// The document draws each library's arrows to the libraries it builds on directly, leaving
  /// out NASSupport (every library may use it), the C targets (named in parentheses with the
  /// system libraries behind them) and what is already reachable through another arrow. So:
  /// every arrow is a real import, and every import is reachable along the arrows.
  func testTheDocumentedGraphIsTheImportGraph() throws {
    let documented = try documented(), imported = try imported()
    XCTAssertEqual(Set(documented.keys), Set(libraries), "the graph lists other modules than Sources/ holds")
    for library in libraries {
      let uses = imported[library, default: []].filter { $0.hasPrefix("NAS") && $0 != "NASSupport" }
      let drawn = documented[library, default: []]
      XCTAssertTrue(
        drawn.isSubset(of: uses),
        "\(library): docs/architecture.md draws → \(drawn.subtracting(uses).sorted()), which its files do not import")
      XCTAssertTrue(
        uses.isSubset(of: reachable(documented, from: library)),
        "\(library) imports \(uses.subtracting(reachable(documented, from: library)).sorted()), which docs/architecture.md does not reach from it")
    }
  }
}
