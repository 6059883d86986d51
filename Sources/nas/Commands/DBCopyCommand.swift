import ArgumentParser
import Foundation
import NASStore
import NASSupport

extension DBCommand {
  /// `nas db copy`: a whole results database into a new, empty one, either engine to either
  /// (a study moves to a PostgreSQL server when workers on other hosts join it, and back to a
  /// file to archive it). The source is only read; the copy is one transaction.
  struct Copy: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "copy",
      abstract: "Copy every run and result into a new, empty database (SQLite file or postgres:// URL, either way).")
    @Option(help: "The database to copy (a file or a postgres:// URL); only read.") var from = ResultsStore.defaultPath
    @Option(help: "The new database to copy into (a file or a postgres:// URL); it must have no rows.") var to: String
    @Flag(help: "Print JSON.") var json = false
    @Flag(help: "No progress output.") var quiet = false

    func validate() throws {
      try OptionChecks.existingDatabase(from, "--from")
      try OptionChecks.database(to, "--to")
      // Caught here, before opening: opening --to read-write would migrate the source file.
      if !ResultsStore.isServerURL(from), !ResultsStore.isServerURL(to),
        URL(fileURLWithPath: from).standardizedFileURL.resolvingSymlinksInPath()
          == URL(fileURLWithPath: to).standardizedFileURL.resolvingSymlinksInPath()
      {
        throw ValidationError("--from and --to are the same file; give a new database to --to")
      }
    }

    func run() throws {
      let source = try ResultsStore.openReadOnly(path: from)
      let destination = try ResultsStore.open(path: to)
      let progress = ProgressReporter(label: "rows", total: 0, enabled: !quiet)
      var done: [String: Int] = [:]
      let report: StoreCopyReport
      do {
        defer { progress.finish() }
        report = try StoreCopy.copy(from: source, to: destination) { table, rows in
          progress.advance(by: rows - done[table, default: 0], note: table)
          done[table] = rows
        }
      }
      if json { return print(try JSONOutput.document(report)) }
      var table = TextTable(headers: ["table", "rows"], rightAligned: [1])
      for (name, rows) in report.tables { table.append([name, String(rows)]) }
      print(table.render())
      print("copied \(report.total) rows from \(ResultsStore.redacted(from)) to \(ResultsStore.redacted(to))")
    }
  }
}
