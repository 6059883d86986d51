import ArgumentParser
import Foundation
import NASStore
import NASSpace
import NASSupport
import NASTrain

/// The checks commands run in `validate()`, before any work starts, so a wrong value fails in
/// a moment rather than after a training budget or a benchmark. Each throws a
/// `ValidationError` naming the option, the value and what it must be.
///
/// Numeric options read their value with `parsing: .unconditional`: otherwise the argument
/// parser takes a negative number written as its own word (`--count -1`) for a flag and
/// answers "missing value", and these checks never see it.
enum OptionChecks {
  static func positive(_ value: Int, _ option: String) throws {
    guard value >= 1 else { throw ValidationError("\(option) must be positive (1 or more), not \(value)") }
  }

  static func positive(_ value: Int?, _ option: String) throws {
    if let value { try positive(value, option) }
  }

  static func atLeast(_ minimum: Int, _ value: Int, _ option: String, why: String = "") throws {
    guard value >= minimum else { throw ValidationError("\(option) must be at least \(minimum)\(why), not \(value)") }
  }

  static func nonNegative(_ value: Int, _ option: String) throws {
    guard value >= 0 else { throw ValidationError("\(option) must be 0 or more, not \(value)") }
  }

  static func positive(_ value: Double, _ option: String) throws {
    guard value.isFinite, value > 0 else { throw ValidationError("\(option) must be a positive number, not \(value)") }
  }

  static func positive(_ value: Double?, _ option: String) throws {
    if let value { try positive(value, option) }
  }

  static func finite(_ value: Double?, _ option: String) throws {
    if let value, !value.isFinite { throw ValidationError("\(option) must be a finite number, not \(value)") }
  }

  /// `--width`: the range the DSL's `width` statement accepts.
  static func multiplier(_ value: Double?, _ option: String) throws {
    guard let value else { return }
    guard SettingRange.isMultiplier(value) else {
      throw ValidationError(
        "\(option) must be above 0 and at most \(Format.fixed(SettingRange.multiplierMaximum, 0)) (as the file's width), not \(value)")
    }
  }

  /// `--resolution`: the range the DSL's `input` statement accepts.
  static func inputSize(_ value: Int?, _ option: String) throws {
    guard let value else { return }
    let range = SettingRange.inputSize
    guard range.contains(value) else {
      throw ValidationError("\(option) must be between \(range.lowerBound) and \(range.upperBound) pixels (as the file's input), not \(value)")
    }
  }

  /// A file the command writes (not `-`, standard output, when `allowStandardOutput`).
  static func outputFile(_ path: String?, _ option: String, allowStandardOutput: Bool = false) throws {
    guard let path, !(allowStandardOutput && path == "-") else { return }
    do { try OutputFile.checkWritable(path) } catch { throw ValidationError("\(option) \(error.description)") }
  }

  /// A folder the command creates when missing (`--out`).
  static func outputFolder(_ path: String?, _ option: String) throws {
    guard let path else { return }
    do { try OutputFile.checkFolder(path) } catch { throw ValidationError("\(option) \(error.description)") }
  }

  /// The results database a command writes to: a file (or nothing yet) in a folder that exists
  /// or can be created, as the store creates the default `results/` folder, or a
  /// `postgres://` URL (reached when the command opens it).
  static func database(_ path: String, _ option: String = "--db") throws {
    if ResultsStore.isServerURL(path) {
      guard URLComponents(string: path) != nil else {
        throw ValidationError("\(option): not a valid URL; write postgres://USER:PASSWORD@HOST:PORT/DATABASE (or leave parts to the PG* variables)")
      }
      return
    }
    var isFolder: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) {
      guard !isFolder.boolValue else { throw ValidationError("\(option) \(path): is a folder; give the database file (e.g. \(path)/nas.sqlite)") }
      return
    }
    try outputFolder(URL(fileURLWithPath: path).deletingLastPathComponent().path, option)
  }

  /// A results database the command reads: a file that exists, or a `postgres://` URL.
  static func existingDatabase(_ path: String, _ option: String = "--db") throws {
    if ResultsStore.isServerURL(path) { return try database(path, option) }
    try inputFile(path, option)
  }

  /// A file the command reads.
  static func inputFile(_ path: String?, _ option: String) throws {
    guard let path else { return }
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
      throw ValidationError("\(option) \(path): no such file")
    }
    guard !isFolder.boolValue else { throw ValidationError("\(option) \(path): is a folder, not a file") }
    guard FileManager.default.isReadableFile(atPath: path) else { throw ValidationError("\(option) \(path): not readable") }
  }

  /// `--data`: a `random:` size within the limit, or a folder that exists (the files in it are
  /// read, and checked, when the data set loads).
  static func data(_ spec: String, validation: Int = DataSource.defaultValidationCount, _ option: String = "--data") throws {
    let source = DataSource(argument: spec)
    if let problem = source.sizeProblem(validationCount: validation) { throw ValidationError("\(option) \(problem)") }
    guard case .directory(let path) = source else { return }
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else {
      throw ValidationError(
        "\(option) \(spec): no such folder; give fashion-mnist, random:HxWxC or a folder of IDX or CIFAR-10 files")
    }
  }
}
