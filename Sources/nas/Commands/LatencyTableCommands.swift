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
    let (text, samples) = try LatencyTableTransfer.exportCSV(store: store, profile: p)
    if file == "-" {
      print(text, terminator: "")
    } else {
      try OutputFile.write(text, to: file)
      printError("\(file): \(samples) samples of profile \(p.id)")
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
    for imported in try LatencyTableTransfer.importCSV(text, file: file, store: try ResultsStore.open(path: db)) { print(imported.text) }
  }
}
