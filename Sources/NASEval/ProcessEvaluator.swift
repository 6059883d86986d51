import Foundation
import NASArch
import NASSupport

/// Runs another evaluator in a child process: `executable arguments… FILE`, where FILE holds
/// the architecture's canonical text and the child prints one ``Evaluation`` as JSON on its
/// last line of standard output (`nas search --workers K` starts K of these at once).
///
/// A child that crashes, hangs past the timeout or prints something else becomes a failed
/// evaluation with the end of its error output, so one bad candidate never stops a search.
public struct ProcessEvaluator: Evaluator {
  public let executable: String
  public let arguments: [String]
  public let timeoutSeconds: Double
  public let name: String
  public let configurationJSON: String

  /// `name` and `configurationJSON` are those of the evaluator the child runs, so results are
  /// recorded (and reused) exactly as if evaluated in this process.
  public init(executable: String, arguments: [String], timeoutSeconds: Double, name: String, configurationJSON: String) {
    self.executable = executable
    self.arguments = arguments
    self.timeoutSeconds = timeoutSeconds
    self.name = name
    self.configurationJSON = configurationJSON
  }

  public func evaluate(_ architecture: Architecture) -> Result<Evaluation, EvaluationError> {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nas-worker-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("\(architecture.shortHash).arch")
    do {
      try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
      try Data(architecture.canonicalText().utf8).write(to: file)
    } catch {
      return .failure(EvaluationError("worker: cannot write \(file.path): \(error.localizedDescription)"))
    }
    let outcome: Subprocess.Outcome
    do {
      outcome = try Subprocess.run(
        [executable] + arguments + [file.path], environment: ProcessInfo.processInfo.environment, timeout: timeoutSeconds)
    } catch {
      return .failure(EvaluationError("worker: \(error.description)"))
    }
    let errTail = CommandEvaluator.tail(outcome.stderr)
    if outcome.timedOut {
      return .failure(EvaluationError("worker: timed out after \(Format.fixed(timeoutSeconds, 0)) s and was stopped", timedOut: true))
    }
    if let s = outcome.signal { return .failure(EvaluationError("worker: killed by signal \(s)" + (errTail.isEmpty ? "" : "; \(errTail)"))) }
    if let status = outcome.status, status != 0 {
      return .failure(EvaluationError(errTail.isEmpty ? "worker: exited with status \(status)" : errTail))
    }
    let last = outcome.stdout.split(whereSeparator: \.isNewline).last.map(String.init) ?? ""
    guard let evaluation = try? JSONDecoder().decode(Evaluation.self, from: Data(last.utf8)) else {
      return .failure(EvaluationError("worker: the last line of output is not an evaluation: \(CommandEvaluator.tail(last, 200))"))
    }
    return .success(evaluation)
  }
}
