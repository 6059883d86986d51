import Foundation
import NASSpace
import NASStore

/// The CSV form of latency samples, so a table measured on one device (for example by
/// `nas bench` built for a phone) can drive prediction on another machine.
///
/// One row per sample, RFC 4180 quoting, this header (docs/latency.md describes each column):
/// `profile_id,cpu_model,cores,threads,backend,backend_version,precision,unit,source,microseconds,runs,round,statistic`
/// Files without the last column (the first CSV format) are read as medians.
public enum LatencyCSV {
  public static let header = olderHeader + ["statistic"]
  /// The header of a profile whose CPU identity is known: `header` and ``CPUIdentity/csvColumns``
  /// (a profile without one is written with `header`, as before).
  public static let identifiedHeader = header + CPUIdentity.csvColumns
  /// The header before samples said which statistic they are; its samples are medians.
  static let olderHeader = [
    "profile_id", "cpu_model", "cores", "threads", "backend", "backend_version", "precision", "unit", "source", "microseconds",
    "runs", "round",
  ]

  /// Samples of one profile as CSV text.
  public static func write(_ samples: [LatencySample], profile: DeviceProfile) -> String {
    var out = (profile.cpu == nil ? header : identifiedHeader).joined(separator: ",") + "\n"
    let p = [profile.id, profile.cpuModel, "\(profile.cores)", "\(profile.threads)", profile.backend, profile.backendVersion, profile.precision]
    for s in samples {
      let fields =
        p + [s.key, s.source.rawValue, "\(s.microseconds)", "\(s.runs)", s.round.map(String.init) ?? "", s.statistic.rawValue]
        + (profile.cpu?.csvFields ?? [])
      out += fields.map(quote).joined(separator: ",") + "\n"
    }
    return out
  }

  static func quote(_ field: String) -> String {
    guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
    return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }

  /// Parses CSV text (RFC 4180) into rows with line numbers.
  static func rows(_ text: String) -> [(line: Int, fields: [String])] {
    var rows: [(Int, [String])] = []
    var field = "", fields: [String] = []
    var inQuotes = false, line = 1, rowLine = 1
    var chars = Array(text.unicodeScalars)[...]
    func endRow() {
      fields.append(field)
      if !(fields.count == 1 && fields[0].isEmpty) { rows.append((rowLine, fields)) }
      fields = []
      field = ""
    }
    while let c = chars.popFirst() {
      if inQuotes {
        if c == "\"" {
          if chars.first == "\"" {
            field.unicodeScalars.append("\"")
            chars.removeFirst()
          } else {
            inQuotes = false
          }
        } else {
          if c == "\n" { line += 1 }
          field.unicodeScalars.append(c)
        }
        continue
      }
      switch c {
      case "\"": inQuotes = true
      case ",":
        fields.append(field)
        field = ""
      case "\r": break
      case "\n":
        endRow()
        line += 1
        rowLine = line
      default: field.unicodeScalars.append(c)
      }
    }
    if !field.isEmpty || !fields.isEmpty { endRow() }
    return rows
  }

  /// Reads samples back, grouped by device profile; every error names the file and line.
  public static func read(_ text: String, file: String) throws(LatencyError) -> [(profile: DeviceProfile, samples: [LatencySample])] {
    let all = rows(text)
    guard let first = all.first else { throw .csv(file: file, line: 1, message: "the file is empty; expected the header \(header.joined(separator: ","))") }
    guard first.fields == header || first.fields == olderHeader || first.fields == identifiedHeader else {
      throw .csv(file: file, line: first.line, message: "unexpected header; expected \(header.joined(separator: ","))")
    }
    let columns = first.fields.count
    var order: [String] = []
    var groups: [String: (DeviceProfile, [LatencySample])] = [:]
    for (line, f) in all.dropFirst() {
      guard f.count == columns else {
        throw .csv(file: file, line: line, message: "expected \(columns) fields, found \(f.count)")
      }
      guard let cores = Int(f[2]), cores >= 1, let threads = Int(f[3]), threads >= 1 else {
        throw .csv(file: file, line: line, message: "cores and threads must be positive integers")
      }
      var cpu: CPUIdentity?
      if columns == identifiedHeader.count {
        switch CPUIdentity.fromCSV(Array(f[header.count...])) {
        case .success(let identity): cpu = identity
        case .failure(let problem): throw .csv(file: file, line: line, message: problem.message)
        }
      }
      let profile = DeviceProfile(
        cpuModel: f[1], cores: cores, threads: threads, backend: f[4], backendVersion: f[5], precision: f[6], cpu: cpu)
      guard profile.id == f[0] else {
        throw .csv(file: file, line: line, message: "profile_id \(f[0]) does not match the profile columns (they give \(profile.id))")
      }
      let configuration: UnitConfiguration
      do { configuration = try UnitKey.parse(f[7]) } catch { throw .csv(file: file, line: line, message: error.description) }
      guard let source = SampleSource(rawValue: f[8]) else {
        throw .csv(file: file, line: line, message: "source must be one of \(SampleSource.allCases.map(\.rawValue).joined(separator: ", "))")
      }
      guard let us = Double(f[9]), us.isFinite, us > 0 else {
        throw .csv(file: file, line: line, message: "microseconds must be a positive number, got '\(f[9])'")
      }
      guard let runs = Int(f[10]), runs >= 1 else { throw .csv(file: file, line: line, message: "runs must be a positive integer") }
      let round: Int?
      if f[11].isEmpty { round = nil } else {
        guard let r = Int(f[11]), r >= 0 else { throw .csv(file: file, line: line, message: "round must be empty or a non-negative integer") }
        round = r
      }
      var statistic = SampleStatistic.median
      if columns >= header.count {
        guard let s = SampleStatistic(rawValue: f[12]) else {
          throw .csv(file: file, line: line, message: "statistic must be one of \(SampleStatistic.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        statistic = s
      }
      if groups[profile.id] == nil {
        order.append(profile.id)
        groups[profile.id] = (profile, [])
      }
      groups[profile.id]!.1.append(
        LatencySample(configuration: configuration, source: source, microseconds: us, runs: runs, round: round, statistic: statistic))
    }
    return order.map { (groups[$0]!.0, groups[$0]!.1) }
  }
}
