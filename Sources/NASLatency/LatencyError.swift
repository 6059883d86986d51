import NASArch

/// What can go wrong building, timing, predicting or storing latency.
public enum LatencyError: Error, CustomStringConvertible, Equatable, Sendable {
  /// XNNPACK refused a call; `status` is its `xnn_status` code.
  case xnnpack(call: String, status: Int, context: String)
  /// The architecture's shapes are invalid.
  case architecture(String)
  /// No device profile with this id is known (neither measured nor imported).
  case unknownProfile(id: String, known: [String])
  /// Prediction or fitting found no samples for the profile.
  case emptyTable(profile: String)
  /// The profile has samples, but only of an older statistic than this version predicts from.
  case onlyOlderSamples(profile: String, count: Int, statistic: String)
  /// A unit configuration has no sample and no fitted model for its kind.
  case noModel(unit: String, profile: String)
  /// A CSV file is malformed.
  case csv(file: String, line: Int, message: String)
  /// A unit description in a CSV or table could not be read.
  case badUnit(text: String, reason: String)
  /// A value given by the user is out of range.
  case invalidArgument(String)
  /// The latency commands that read tables found no results database at this path.
  case noDatabase(path: String)

  public var description: String {
    switch self {
    case .xnnpack(let call, let status, let context):
      return "XNNPACK \(call) failed with status \(status) (\(Self.statusName(status))) while building \(context)"
    case .architecture(let message):
      return "invalid architecture: \(message)"
    case .unknownProfile(let id, let known):
      let list = known.isEmpty ? "none yet; run 'nas bench' or 'nas latency import FILE.csv'" : known.joined(separator: ", ")
      return "unknown device profile '\(id)' (known: \(list))"
    case .emptyTable(let profile):
      return "no latency samples for device profile \(profile); run 'nas bench' first (or import a CSV table)"
    case .onlyOlderSamples(let profile, let count, let statistic):
      return "device profile \(profile) has \(count) latency samples, all \(statistic)s of their runs (the first statistic nas stored); this version "
        + "predicts from the fastest run: run 'nas bench' (or import a CSV table with a `statistic` column) to measure them again"
    case .noModel(let unit, let profile):
      return "no sample and no fitted model for '\(unit)' on device profile \(profile); run 'nas bench' for its space, then 'nas latency fit'"
    case .csv(let file, let line, let message):
      return "\(file):\(line): \(message)"
    case .badUnit(let text, let reason):
      return "cannot read unit '\(text)': \(reason)"
    case .invalidArgument(let message):
      return message
    case .noDatabase(let path):
      return "\(path): no results database yet; run 'nas bench' first (or pass --db PATH)"
    }
  }

  static func statusName(_ status: Int) -> String {
    switch status {
    case 1: return "uninitialized"
    case 2: return "invalid parameter"
    case 3: return "invalid state"
    case 4: return "unsupported parameter"
    case 5: return "unsupported hardware"
    case 6: return "out of memory"
    default: return "unknown"
    }
  }
}

extension LatencyError {
  init(_ error: ArchitectureError) { self = .architecture(error.description) }
}

/// Foundation also declares a `Unit`; in this module the name means the architecture's unit.
typealias Unit = NASArch.Unit
