import ArgumentParser
import Foundation
import NASArch
import NASReport
import NASSpace
import NASStore

/// What every subcommand shares: loading the files it is given, with the width and resolution
/// overrides.
///
/// Errors: library errors are typed and say what went wrong and what to do; a command lets
/// them through, and the argument parser prints `Error: ` and the description and exits with
/// status 1. `Failure` is for a message the command itself composes; `ExitCode(130)` ends a run
/// that was interrupted.
enum CLI {
  /// This invocation as recorded with a run: the arguments, with any database password hidden.
  static var commandLine: String { CommandLine.arguments.map(ResultsStore.redacted).joined(separator: " ") }

  /// A user-facing failure: the message is printed as is and the exit status is 1.
  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  static func loadArchitecture(_ path: String, width: Double? = nil, resolution: Int? = nil) throws -> Architecture {
    if width == nil && resolution == nil { return try DSL.loadArchitecture(path: path) }
    var space = try DSL.loadSpace(path: path)
    if let width { space.width = .fixed(width) }
    if let resolution { space.inputSize = .fixed(resolution); space.resolution = .fixed(1) }
    return try DSL.parseArchitecture(space: space)
  }

  static func loadSpace(_ path: String) throws -> SearchSpace { try DSL.loadSpace(path: path) }

  /// Writes a run's HTML report beside its other files and returns the path; a report that
  /// cannot be written is a warning, since the run itself is recorded.
  static func writeReport(run: Int64, kind: String, database: String, folder: String?) -> String? {
    let path = RunReport.defaultPath(run: run, kind: kind, databasePath: database, folder: folder)
    do {
      try RunReport.write(run: run, store: try ResultsStore.open(path: database), to: path)
      return path
    } catch {
      FileHandleWriter.writeStderr("warning: the report of run \(run) was not written: \(error)\n")
      return nil
    }
  }
}
