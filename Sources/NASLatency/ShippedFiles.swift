import Foundation

/// The spaces and reference networks that ship in the repository, which `nas bench` measures
/// by default (paths relative to the working directory).
public enum ShippedFiles {
  public static let spacesFolder = "search-spaces"
  public static let referencesFolder = "search-spaces/reference"

  /// `search-spaces/*.space`; none is an error that says where to run from.
  public static func spaces() throws(LatencyError) -> [String] {
    let files = list(spacesFolder, suffix: ".space")
    guard !files.isEmpty else {
      throw .invalidArgument("no \(spacesFolder)/*.space here; run from the repository root or pass --space FILE")
    }
    return files
  }

  /// `search-spaces/reference/*.arch` (none is fine).
  public static func references() -> [String] { list(referencesFolder, suffix: ".arch") }

  static func list(_ folder: String, suffix: String) -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    return names.filter { $0.hasSuffix(suffix) }.sorted().map { "\(folder)/\($0)" }
  }
}
