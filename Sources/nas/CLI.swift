import ArgumentParser
import Foundation
import NASArch
import NASSpace

/// What every subcommand shares: loading the files it is given, with the width and resolution
/// overrides.
///
/// Errors: library errors are typed and say what went wrong and what to do; a command lets
/// them through, and the argument parser prints `Error: ` and the description and exits with
/// status 1. `Failure` is for a message the command itself composes; `ExitCode(130)` ends a run
/// that was interrupted.
enum CLI {
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
}
