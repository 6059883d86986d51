import Foundation
import NASArch
import NASSupport

/// Hands each architecture to a user command (a team's own trainer) and reads its accuracy.
///
/// The command runs through `/bin/sh -c`; the path of a JSON file describing the architecture
/// replaces `{}` in the command, or is appended as its last argument, and is also in
/// `NAS_ARCH_FILE`. The file holds `hash`, `name`, `canonical` (the `.arch` text), `macs`,
/// `params`, `architecture` (the structured units) and `format_version`, in the `--json` style
/// (docs/json.md). The command prints a JSON object with a
/// numeric `accuracy` in [0, 1] on the last line of its standard output; other numeric fields
/// are kept as details. A timeout, a non-zero exit or a last line that is not such JSON is a
/// failed evaluation whose message says which, with the end of the command's error output.
public final class CommandEvaluator: Evaluator {
  public struct Configuration: Codable, Hashable, Sendable {
    public var command: String
    public var timeoutSeconds: Double

    /// An hour: a real training run fits, a hung one does not hold a search forever.
    public static let defaultTimeoutSeconds = 3600.0

    public init(command: String, timeoutSeconds: Double = defaultTimeoutSeconds) {
      self.command = command
      self.timeoutSeconds = timeoutSeconds
    }
  }

  /// The file the command reads.
  struct Request: Encodable {
    var hash: String
    var name: String?
    var canonical: String
    var macs: Int?
    var params: Int?
    var architecture: Architecture
  }

  public let configuration: Configuration
  public var name: String { "cmd" }
  public var configurationJSON: String {
    CanonicalJSON.string([
      "evaluator": "cmd", "command": configuration.command, "timeout_seconds": String(configuration.timeoutSeconds),
    ])
  }

  public init(configuration: Configuration) throws(EvaluationError) {
    guard !configuration.command.trimmingCharacters(in: .whitespaces).isEmpty else {
      throw EvaluationError("cmd: the command is empty; write --evaluator 'cmd:./train.sh'")
    }
    guard configuration.timeoutSeconds > 0 else { throw EvaluationError("cmd: the timeout must be positive") }
    self.configuration = configuration
  }

  public func evaluate(_ architecture: Architecture) -> Result<Evaluation, EvaluationError> {
    let start = Date()
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nas-eval-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("\(architecture.shortHash).json")
    do {
      try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
      let costs = try? architecture.costs()
      let request = Request(
        hash: architecture.canonicalHash, name: architecture.name, canonical: architecture.canonicalText(), macs: costs?.macs,
        params: costs?.params, architecture: architecture)
      try Data(JSONOutput.document(request).utf8).write(to: file)
    } catch {
      return .failure(EvaluationError("cmd: cannot write the architecture file \(file.path): \(error.localizedDescription)"))
    }
    let quoted = ShellWord.quoted(file.path)
    let line =
      configuration.command.contains("{}")
      ? configuration.command.replacingOccurrences(of: "{}", with: quoted) : configuration.command + " " + quoted
    var environment = ProcessInfo.processInfo.environment
    environment["NAS_ARCH_FILE"] = file.path
    environment["NAS_ARCH_HASH"] = architecture.canonicalHash
    let outcome: Subprocess.Outcome
    do {
      outcome = try Subprocess.run(["/bin/sh", "-c", line], environment: environment, timeout: configuration.timeoutSeconds)
    } catch {
      return .failure(EvaluationError("cmd: \(error.description)"))
    }
    let seconds = Date().timeIntervalSince(start)
    let errTail = Self.tail(outcome.stderr)
    if outcome.timedOut {
      return .failure(
        EvaluationError(
          "cmd: timed out after \(Format.fixed(configuration.timeoutSeconds, 0)) s and was stopped" + (errTail.isEmpty ? "" : "; stderr: \(errTail)"),
          timedOut: true))
    }
    if let s = outcome.signal {
      return .failure(EvaluationError("cmd: killed by signal \(s)" + (errTail.isEmpty ? "" : "; stderr: \(errTail)")))
    }
    if let status = outcome.status, status != 0 {
      return .failure(EvaluationError("cmd: exited with status \(status)" + (errTail.isEmpty ? "" : "; stderr: \(errTail)")))
    }
    let last = outcome.stdout.split(whereSeparator: \.isNewline).last { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
    guard let last else {
      return .failure(EvaluationError("cmd: printed nothing; the last line of standard output must be JSON like {\"accuracy\": 0.91}"))
    }
    let text = String(last).trimmingCharacters(in: .whitespaces)
    guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
      return .failure(EvaluationError("cmd: the last line of output is not a JSON object: \(Self.tail(text, 200))"))
    }
    guard let number = object["accuracy"] as? NSNumber, !(object["accuracy"] is Bool) else {
      return .failure(EvaluationError("cmd: the JSON on the last line has no numeric \"accuracy\": \(Self.tail(text, 200))"))
    }
    let accuracy = number.doubleValue
    guard accuracy.isFinite, (0...1).contains(accuracy) else {
      return .failure(EvaluationError("cmd: accuracy \(accuracy) is not in [0, 1] (report a fraction, not a percentage)"))
    }
    var details: [String: Double] = [:]
    for (k, v) in object where k != "accuracy" {
      if let n = v as? NSNumber, !(v is Bool), n.doubleValue.isFinite { details[k] = n.doubleValue }
    }
    return .success(Evaluation(evaluator: name, value: accuracy, isAccuracy: true, seconds: seconds, details: details))
  }

  static func tail(_ s: String, _ n: Int = 500) -> String {
    let t = s.trimmingCharacters(in: .whitespacesAndNewlines)
    return t.count <= n ? t : "…" + String(t.suffix(n))
  }
}
