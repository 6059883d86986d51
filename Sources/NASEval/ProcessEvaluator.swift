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
    evaluate(architecture, continuing: nil, keepCheckpoint: false).result
  }

  /// One rung of successive halving in the child: it continues the training `checkpoint` holds
  /// (`--continue-from FILE`) and, with `keepCheckpoint`, saves its own (`--save-checkpoint
  /// FILE`), which is returned beside the result.
  public func evaluate(_ architecture: Architecture, continuing checkpoint: Data?, keepCheckpoint: Bool)
    -> (result: Result<Evaluation, EvaluationError>, checkpoint: Data?)
  {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nas-worker-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("\(architecture.shortHash).arch")
    let input = dir.appendingPathComponent("continue-from.safetensors")
    let output = dir.appendingPathComponent("checkpoint.safetensors")
    var extra: [String] = []
    do {
      try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
      try Data(architecture.canonicalText().utf8).write(to: file)
      if let checkpoint {
        try checkpoint.write(to: input)
        extra += ["--continue-from", input.path]
      }
    } catch {
      return (.failure(EvaluationError("worker: cannot write in \(dir.path): \(error.localizedDescription)")), nil)
    }
    if keepCheckpoint { extra += ["--save-checkpoint", output.path] }
    let result = run(arguments + extra + [file.path])
    guard case .success = result, keepCheckpoint else { return (result, nil) }
    guard let saved = FileManager.default.contents(atPath: output.path) else {
      return (.failure(EvaluationError("worker: the evaluation saved no checkpoint at \(output.path)")), nil)
    }
    return (result, saved)
  }

  private func run(_ allArguments: [String]) -> Result<Evaluation, EvaluationError> {
    let outcome: Subprocess.Outcome
    do {
      outcome = try Subprocess.run(
        [executable] + allArguments, environment: ProcessInfo.processInfo.environment, timeout: timeoutSeconds)
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
