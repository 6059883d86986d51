import Foundation

/// Reports progress of long work: a redrawn bar with count, rate and ETA on a
/// terminal, plain lines (at most one every few seconds) when stderr is not a terminal.
///
/// Output goes to standard error so that `--json` output on standard output stays clean.
public final class ProgressReporter: @unchecked Sendable {
  public let label: String
  public private(set) var total: Int
  public private(set) var done: Int = 0
  private let start = Date()
  private var lastDraw = Date.distantPast
  private var drawnDone = -1
  private let isTerminal: Bool
  private let enabled: Bool
  private var suffix: String = ""
  private let lock = NSLock()
  private let plainInterval: TimeInterval

  /// - Parameters:
  ///   - label: what is being counted ("trials", "configurations").
  ///   - total: how many units there are; 0 when unknown.
  ///   - initial: units already done (for resumed work).
  ///   - enabled: false silences the reporter (tests, `--quiet`).
  public init(label: String, total: Int, initial: Int = 0, enabled: Bool = true, plainInterval: TimeInterval = 5) {
    self.label = label
    self.total = total
    self.done = initial
    self.enabled = enabled
    self.isTerminal = isatty(STDERR_FILENO) == 1
    self.plainInterval = plainInterval
  }

  private var startDone: Int = -1

  /// Marks `count` more units done and redraws when due; `note` is shown after the bar (for example the best reward).
  public func advance(by count: Int = 1, note: String? = nil) {
    lock.lock(); defer { lock.unlock() }
    if startDone < 0 { startDone = done }
    done += count
    if let note { suffix = note }
    draw(force: done >= total && total > 0)
  }

  /// Changes the note without counting a unit.
  public func setNote(_ note: String) {
    lock.lock(); defer { lock.unlock() }
    suffix = note
    draw(force: false)
  }

  /// Changes the total (for example when stale work is queued again).
  public func setTotal(_ newTotal: Int) {
    lock.lock(); defer { lock.unlock() }
    total = newTotal
  }
  private var finished = false

  /// Ends the bar with a newline on a terminal.
  /// Draws the last line; calls after the first do nothing, so `defer` can finish on errors too.
  public func finish() {
    lock.lock(); defer { lock.unlock() }
    guard enabled, !finished else { return }
    finished = true
    // A plain log already has the final line when the last unit was drawn.
    if isTerminal || drawnDone != done { draw(force: true) }
    if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
  }

  /// The text of the current status line (also used by tests).
  public func statusLine(width: Int = 28) -> String {
    let elapsed = Date().timeIntervalSince(start)
    let counted = Double(done - max(startDone, 0))
    let rate = elapsed > 0 ? counted / elapsed : 0
    var parts: [String] = []
    if total > 0 {
      let fraction = min(1, Double(done) / Double(total))
      let filled = Int(fraction * Double(width))
      let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
      parts.append("\(label) [\(bar)] \(done)/\(total)")
    } else {
      parts.append("\(label) \(done)")
    }
    parts.append(String(format: "%.2f/s", rate))
    if total > 0, rate > 0, done < total {
      parts.append("ETA " + Self.formatDuration(Double(total - done) / rate))
    } else {
      parts.append("elapsed " + Self.formatDuration(elapsed))
    }
    if !suffix.isEmpty { parts.append(suffix) }
    return parts.joined(separator: "  ")
  }

  private func draw(force: Bool) {
    guard enabled else { return }
    let now = Date()
    if isTerminal {
      guard force || now.timeIntervalSince(lastDraw) > 0.1 else { return }
      lastDraw = now
      FileHandle.standardError.write(Data(("\r\u{1B}[2K" + statusLine()).utf8))
    } else {
      guard force || now.timeIntervalSince(lastDraw) >= plainInterval else { return }
      lastDraw = now
      drawnDone = done
      FileHandle.standardError.write(Data((statusLine() + "\n").utf8))
    }
  }

  /// `1h02m`, `3m05s`, `12s`.
  public static func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "?" }
    let s = Int(seconds.rounded())
    if s >= 3600 { return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) }
    if s >= 60 { return String(format: "%dm%02ds", s / 60, s % 60) }
    return "\(s)s"
  }
}
