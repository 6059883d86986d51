import ArgumentParser
import NASReport
import NASStore

/// `nas report`: one self-contained HTML page of a run.
struct ReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Write one self-contained HTML page of a run (charts, best candidates, failures).",
    discussion: """
      A search run's page shows accuracy against latency with the Pareto front and the target, \
      the reward per trial, the best candidates with their per-unit predicted latency and .arch \
      text, the choices they made, the predictor's last validation and the failed evaluations; a \
      NetAdapt run's page its path and proposals; a bench or validate run's page predicted against \
      measured latency. Inline SVG and CSS only: it reads offline and attaches to an issue or a mail.
      """)

  @Option(name: .customLong("run"), parsing: .unconditional, help: "The run (nas db runs lists them).") var runID: Int64
  @Option(help: "The results database.") var db = ResultsStore.defaultPath
  @Option(help: "The HTML file to write (default: beside the database, named after it and the run).") var out: String?

  func validate() throws {
    try OptionChecks.existingDatabase(db)
    try OptionChecks.outputFile(out, "--out")
  }

  func run() throws {
    let store = try ResultsStore.open(path: db)
    let kind = try store.run(runID)?.kind.rawValue ?? "run"
    let path = out ?? RunReport.defaultPath(run: runID, kind: kind, databasePath: db)
    let bytes = try RunReport.write(run: runID, store: store, to: path)
    print("\(path): report of run \(runID) (\(bytes / 1024) KiB)")
  }
}
