import Foundation
import NASArch
import NASSpace

/// Paths of the shipped spaces and reference networks, found from this file's location.
enum Fixtures {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  static let spacesDirectory = root.appendingPathComponent("search-spaces")
  static let referenceDirectory = spacesDirectory.appendingPathComponent("reference")

  static var spaceFiles: [String] {
    files(in: spacesDirectory, ending: ".space")
  }
  static var referenceFiles: [String] {
    files(in: referenceDirectory, ending: ".arch")
  }

  static func reference(_ name: String) -> String {
    referenceDirectory.appendingPathComponent(name + ".arch").path
  }

  static func files(in dir: URL, ending: String) -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
    return names.filter { $0.hasSuffix(ending) }.sorted().map { dir.appendingPathComponent($0).path }
  }

  static func text(_ path: String) -> String {
    (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
  }
}
