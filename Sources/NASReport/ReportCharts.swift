import Foundation
import NASStore
import NASSupport

/// The SVG charts of a run report, drawn on ``ChartFrame``.
enum ReportCharts {
  static let width = 900.0
  static let height = 460.0

  /// A candidate on the accuracy–latency plane.
  struct Candidate {
    var latencyMs: Double
    var accuracy: Double
    var measuredMs: Double?
  }

  /// Accuracy against predicted latency: every candidate (meeting the target or not), the
  /// Pareto front, the target, and predicted → measured for those timed end to end.
  static func accuracyLatency(_ candidates: [Candidate], targetMs: Double?, accuracyLabel: String) -> String {
    let points = candidates.filter { $0.latencyMs.isFinite && $0.accuracy.isFinite }
    var xs = points.map(\.latencyMs) + points.compactMap(\.measuredMs)
    // A target far beyond every candidate would squeeze them into a corner: it is named instead.
    let targetShown = targetMs.map { t in xs.max().map { t <= 1.5 * $0 } ?? true } ?? false
    if targetShown, let t = targetMs { xs.append(t) }
    let frame = ChartFrame(width: width, height: height, xs: xs, ys: points.map(\.accuracy))
    var out = frame.open(title: "\(accuracyLabel) against latency") + frame.axes(xLabel: "latency (ms)", yLabel: accuracyLabel)
    if targetShown, let t = targetMs { out += frame.verticalRule(at: t, label: "target \(ChartFrame.number(t, 2)) ms", colour: "#c0392b") }
    for p in points {
      let meets = targetMs.map { p.latencyMs <= $0 } ?? true
      let fill = meets ? "#27ae60" : "#95a5a6"
      out.append(##"<circle cx="\##(n(frame.px(p.latencyMs)))" cy="\##(n(frame.py(p.accuracy)))" r="3" fill="\##(fill)" fill-opacity="0.7"/>"##)
    }
    let front = ParetoFront.indices(points.map { ($0.latencyMs, $0.accuracy) }).map { points[$0] }
    if front.count > 1 {
      let path = front.map { "\(n(frame.px($0.latencyMs))),\(n(frame.py($0.accuracy)))" }.joined(separator: " ")
      out.append(##"<polyline points="\##(path)" fill="none" stroke="#2980b9" stroke-width="1.5"/>"##)
    }
    for p in points {
      guard let m = p.measuredMs, m.isFinite else { continue }
      let y = n(frame.py(p.accuracy))
      out.append(##"<line x1="\##(n(frame.px(p.latencyMs)))" y1="\##(y)" x2="\##(n(frame.px(m)))" y2="\##(y)" stroke="#8e44ad" stroke-width="1.5"/>"##)
      out.append(##"<rect x="\##(n(frame.px(m) - 3))" y="\##(n(frame.py(p.accuracy) - 3))" width="6" height="6" fill="#8e44ad"/>"##)
    }
    let target = targetMs.map { t in targetShown ? "" : " (the \(ChartFrame.number(t, 2)) ms target is right of every candidate)" } ?? ""
    out.append(frame.legend("green: meets the target  grey: above it  blue: Pareto front  purple: predicted → measured" + target))
    return (out + ["</svg>"]).joined(separator: "\n")
  }

  /// Each trial's reward and the best so far.
  static func rewardHistory(_ trials: [(trial: Int, reward: Double)]) -> String {
    let points = trials.filter { $0.reward.isFinite }.sorted { $0.trial < $1.trial }
    let frame = ChartFrame(width: width, height: 320, xs: points.map { Double($0.trial) }, ys: points.map(\.reward))
    var out = frame.open(title: "reward per trial") + frame.axes(xLabel: "trial", yLabel: "reward", xDecimals: 0)
    for p in points {
      out.append(##"<circle cx="\##(n(frame.px(Double(p.trial))))" cy="\##(n(frame.py(p.reward)))" r="2.5" fill="#7f8c8d" fill-opacity="0.7"/>"##)
    }
    var best = -Double.infinity
    var steps: [String] = []
    for p in points {
      if p.reward > best {
        if !steps.isEmpty { steps.append("\(n(frame.px(Double(p.trial)))),\(n(frame.py(best)))") }
        best = p.reward
      }
      steps.append("\(n(frame.px(Double(p.trial)))),\(n(frame.py(best)))")
    }
    if steps.count > 1 { out.append(##"<polyline points="\##(steps.joined(separator: " "))" fill="none" stroke="#27ae60" stroke-width="2"/>"##) }
    out.append(frame.legend("grey: trials  green: best so far"))
    return (out + ["</svg>"]).joined(separator: "\n")
  }

  /// Successive halving: each candidate's accuracy at every rung it trained to, joined across
  /// rungs (x: training steps), so the promotions and what they bought show.
  static func rungs(_ paths: [[(steps: Double, accuracy: Double)]], best: Int?) -> String {
    let points = paths.flatMap { $0 }.filter { $0.steps.isFinite && $0.accuracy.isFinite }
    let frame = ChartFrame(width: width, height: 340, xs: points.map(\.steps), ys: points.map(\.accuracy))
    var out = frame.open(title: "accuracy at each rung") + frame.axes(xLabel: "training steps", yLabel: "accuracy", xDecimals: 0)
    for (i, path) in paths.enumerated() {
      let colour = i == best ? "#27ae60" : path.count > 1 ? "#2980b9" : "#7f8c8d"
      let xy = path.map { "\(n(frame.px($0.steps))),\(n(frame.py($0.accuracy)))" }
      if xy.count > 1 { out.append(##"<polyline points="\##(xy.joined(separator: " "))" fill="none" stroke="\##(colour)" stroke-width="1.5"/>"##) }
      for p in path {
        out.append(##"<circle cx="\##(n(frame.px(p.steps)))" cy="\##(n(frame.py(p.accuracy)))" r="2.5" fill="\##(colour)" fill-opacity="0.7"/>"##)
      }
    }
    out.append(frame.legend("grey: stopped at the first rung  blue: promoted  green: the best candidate"))
    return (out + ["</svg>"]).joined(separator: "\n")
  }

  /// One line through `points` (x, y) with a dot at each.
  static func line(_ points: [(x: Double, y: Double)], title: String, xLabel: String, yLabel: String, yDecimals: Int = 3) -> String {
    let finite = points.filter { $0.x.isFinite && $0.y.isFinite }
    let frame = ChartFrame(width: width, height: 300, xs: finite.map(\.x), ys: finite.map(\.y))
    var out = frame.open(title: title) + frame.axes(xLabel: xLabel, yLabel: yLabel, xDecimals: 0, yDecimals: yDecimals)
    let path = finite.map { "\(n(frame.px($0.x))),\(n(frame.py($0.y)))" }
    if path.count > 1 { out.append(##"<polyline points="\##(path.joined(separator: " "))" fill="none" stroke="#2980b9" stroke-width="1.5"/>"##) }
    for p in finite { out.append(##"<circle cx="\##(n(frame.px(p.x)))" cy="\##(n(frame.py(p.y)))" r="3" fill="#2980b9"/>"##) }
    return (out + ["</svg>"]).joined(separator: "\n")
  }

  /// Measured against predicted latency, with the line where they are equal.
  static func predictedMeasured(_ points: [(predicted: Double, measured: Double)], title: String) -> String {
    let finite = points.filter { $0.predicted.isFinite && $0.measured.isFinite }
    let all = finite.map(\.predicted) + finite.map(\.measured)
    let frame = ChartFrame(width: 560, height: 460, xs: all, ys: all)
    var out = frame.open(title: title) + frame.axes(xLabel: "predicted (ms)", yLabel: "measured (ms)", yDecimals: 2)
    let lo = max(frame.x.low, frame.y.low), hi = min(frame.x.high, frame.y.high)
    out.append(
      ##"<line x1="\##(n(frame.px(lo)))" y1="\##(n(frame.py(lo)))" x2="\##(n(frame.px(hi)))" y2="\##(n(frame.py(hi)))" stroke="#c0392b" stroke-dasharray="6,4"/>"##)
    for p in finite {
      out.append(##"<circle cx="\##(n(frame.px(p.predicted)))" cy="\##(n(frame.py(p.measured)))" r="3" fill="#2980b9" fill-opacity="0.7"/>"##)
    }
    return (out + ["</svg>"]).joined(separator: "\n")
  }

  private static func n(_ x: Double) -> String { ChartFrame.number(x) }
}
