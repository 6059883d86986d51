import ArgumentParser
import Foundation
import NASArch
import NASSpace

/// Small helpers every subcommand shares: loading files with clean errors, and exiting with
/// a message on standard error instead of a stack trace.
enum CLI {
  /// A user-facing failure: the message is printed as is and the exit status is 1.
  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  static func loadArchitecture(_ path: String, width: Double? = nil, resolution: Int? = nil) throws -> Architecture {
    do {
      if width == nil && resolution == nil { return try DSL.loadArchitecture(path: path) }
      var space = try DSL.loadSpace(path: path)
      if let width { space.width = .fixed(width) }
      if let resolution { space.inputSize = .fixed(resolution); space.resolution = .fixed(1) }
      return try DSL.parseArchitecture(space: space)
    } catch {
      throw Failure(description: error.description)
    }
  }

  static func loadSpace(_ path: String) throws -> SearchSpace {
    do {
      return try DSL.loadSpace(path: path)
    } catch {
      throw Failure(description: error.description)
    }
  }

  /// The `--json` form of a run summary: snake_case keys (`best_hash`), sorted, indented.
  static func snakeCaseJSON<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    return String(decoding: try encoder.encode(value), as: UTF8.self)
  }

  static func check<T>(_ body: () throws(ArchitectureError) -> T) throws -> T {
    do {
      return try body()
    } catch {
      throw Failure(description: error.description)
    }
  }
}
