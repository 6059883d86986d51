import Foundation
import XCTest

/// Runs the built `nas` binary as a user would, capturing output and exit status.
enum CommandRunner {
  struct Result {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  /// The package root (for the shipped search-spaces/).
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  /// The `nas` executable in the build products directory beside the test bundle
  /// (`NAS_BINARY` overrides).
  static var binary: URL {
    if let path = ProcessInfo.processInfo.environment["NAS_BINARY"] { return URL(fileURLWithPath: path) }
    return product("nas")
  }

  /// The tests' database writer (Tests/StoreWriter), built beside `nas`.
  static var writer: URL { binary.deletingLastPathComponent().appendingPathComponent("nas-test-writer") }

  static func product(_ name: String) -> URL {
    let argv0 = URL(fileURLWithPath: CommandLine.arguments.first ?? "")
    let candidates = [
      Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent(), argv0.deletingLastPathComponent(),
    ] + Bundle.allBundles.map { $0.bundleURL.deletingLastPathComponent() }
    for dir in candidates {
      let url = dir.appendingPathComponent(name)
      if FileManager.default.isExecutableFile(atPath: url.path) { return url }
    }
    return root.appendingPathComponent(".build/debug/\(name)")
  }

  /// Writes `rows` evaluations under a run named `tag` with the tests' database writer.
  static func writeRows(_ db: String, rows: Int, tag: String? = nil) throws -> Result {
    try run(["--db", db, "--rows", String(rows)] + (tag.map { ["--tag", $0] } ?? []), executable: writer)
  }

  /// `environment` adds to (or, with nil values, removes from) this process's environment.
  static func run(
    _ arguments: [String], in directory: URL? = nil, environment: [String: String?] = [:], executable: URL? = nil
  ) throws -> Result {
    let process = Process()
    process.executableURL = executable ?? binary
    process.arguments = arguments
    if !environment.isEmpty {
      var merged = ProcessInfo.processInfo.environment
      for (key, value) in environment { merged[key] = value }
      process.environment = merged
    }
    process.currentDirectoryURL = directory ?? root
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Result(
      status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
      stderr: String(decoding: errData, as: UTF8.self))
  }
}
