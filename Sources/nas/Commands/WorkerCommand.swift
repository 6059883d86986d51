import ArgumentParser
import Foundation
import NASSearch
import NASStore
import NASSupport

/// `nas worker`: evaluates the candidates searches queue in a results database, on this host;
/// start any number, on any hosts that reach the database.
struct WorkerCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "worker",
    abstract: "Evaluate candidates that searches queue in the results database (nas search --queue).",
    discussion: """
      Claims one queued evaluation at a time, evaluates it in a child process with the \
      settings of the search that queued it, and writes the outcome back. Run any number of \
      workers, on any host with the same data set and nas version, against one database \
      (a postgres:// URL for several hosts). A worker that dies has its evaluation queued \
      again after \(Int(EvaluationQueue.staleAfterSeconds)) s without a heartbeat (at once \
      on its own host). Ctrl-C stops after the evaluation in flight.
      """)

  @Option(help: "The results database: a file, or postgres://USER:PASSWORD@HOST:PORT/DATABASE.") var db = ResultsStore.defaultPath
  @Option(parsing: .unconditional, help: "Threads each evaluation may use (default: every core this process may run on).") var threads: Int?
  @Option(help: "Stop after the queue has been empty this long, e.g. 30s or 10m (default: keep waiting).") var idleExit: String?
  @Option(parsing: .unconditional, help: "Stop after this many evaluations.") var maxEvaluations: Int?
  @Option(help: "This host's id in the database (default: NAS_HOST_ID, else the host name).") var hostId: String?
  @Flag(help: "Print a JSON summary on standard output at the end.") var json = false
  @Flag(help: "No line per evaluation.") var quiet = false

  func validate() throws {
    try OptionChecks.positive(threads, "--threads")
    try OptionChecks.positive(maxEvaluations, "--max-evaluations")
    if let idleExit, DurationText.seconds(idleExit) == nil {
      throw ValidationError("--idle-exit must be a duration like 30s, 10m or 1h, not '\(idleExit)'")
    }
    if let hostId, hostId.isEmpty || hostId.count > 200 { throw ValidationError("--host-id must be 1 to 200 characters") }
    try OptionChecks.database(db)
  }

  func run() throws {
    let store = try ResultsStore.open(path: db)
    var identity = RunOwner.thisProcess()
    if let hostId { identity.host = hostId }
    let executable = Bundle.main.executablePath ?? URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
    let interrupt = Interrupt.install(message: "stopping after the evaluation in flight (Ctrl-C again to quit now; the claim is queued again)")
    let worker = QueueWorker(
      store: store, identity: identity, executable: executable, threads: threads ?? UsableCores.count,
      toolVersion: NASVersion.string, idleExitSeconds: idleExit.flatMap(DurationText.seconds), maxEvaluations: maxEvaluations,
      log: { line in if !quiet { FileHandleWriter.writeStderr("worker \(identity.host)/\(identity.pid): \(line)\n") } })
    if !quiet { FileHandleWriter.writeStderr("worker \(identity.host)/\(identity.pid): waiting for queued evaluations in \(store.path)\n") }
    let summary = try worker.run(stop: interrupt.flag)
    if json {
      print(try JSONOutput.document(summary))
    } else {
      print(
        "worker \(summary.host): \(summary.evaluated) evaluated (\(summary.ok) ok, \(summary.failed) failed, \(summary.dropped) dropped) "
          + "in \(Format.fixed(summary.wallSeconds, 1)) s")
    }
  }
}
