import ArgumentParser
import Foundation
import NASLatency
import NASStore
import NASSupport

struct LatencyExport: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export", abstract: "Write a device profile's samples as CSV (format in docs/latency.md).")
  @Argument(help: "The CSV file to write ('-' for standard output).") var file: String
  @OptionGroup var profile: LatencyProfileOptions

  func validate() throws { try OptionChecks.outputFile(file, "the CSV file", allowStandardOutput: true) }

  func run() throws {
    let (store, p) = try profile.open()
    let samples: [LatencySample]
    do { samples = try LatencyDatabase(store: store, profile: p).samples(statistic: nil) } catch { throw CLI.Failure(description: "\(error)") }
    guard !samples.isEmpty else { throw CLI.Failure(description: LatencyError.emptyTable(profile: p.id).description) }
    let text = LatencyCSV.write(samples, profile: p)
    if file == "-" {
      print(text, terminator: "")
    } else {
      do { try OutputFile.write(text, to: file) } catch { throw CLI.Failure(description: error.description) }
      printError("\(file): \(samples.count) samples of profile \(p.id)")
    }
  }
}

struct LatencyImport: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "import", abstract: "Read samples from CSV into the database under their device profile, then fit it.")
  @Argument(help: "A CSV file written by 'nas latency export' (or by nas bench elsewhere).") var file: String
  @Option(help: "The results database.") var db = ResultsStore.defaultPath

  func validate() throws {
    try OptionChecks.inputFile(file, "the CSV file")
    try OptionChecks.database(db)
  }

  func run() throws {
    let text: String
    do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
      throw CLI.Failure(description: "\(file): cannot read (\(error.localizedDescription))")
    }
    let groups = try LatencyCLI.run { () throws(LatencyError) in try LatencyCSV.read(text, file: file) }
    let store = try LatencyFiles.openStore(db)
    for (profile, samples) in groups {
      do {
        let database = try LatencyDatabase(store: store, profile: profile)
        try database.importSamples(samples)
        let older = samples.filter { $0.statistic != .current }.count
        guard older < samples.count else {
          print(
            "\(profile.id) (\(profile.summary)): imported \(samples.count) samples, all medians of their runs (an older nas); kept, "
              + "but this version predicts from the fastest run: measure again with 'nas bench' built for that device")
          continue
        }
        let report = try database.fit().1
        print(
          "\(profile.id) (\(profile.summary)): imported \(samples.count) samples\(older > 0 ? " (\(older) older medians, not used)" : ""); "
            + "predictor fitted (\(report.chosen.rawValue) model)")
      } catch {
        throw CLI.Failure(description: "\(error)")
      }
    }
  }
}
