import Foundation
import NASSupport

/// An SVG scatter plot of a search: every candidate's latency against accuracy, the Pareto
/// front joined by a line, and the latency target as a vertical rule.
public struct SearchPlot: Sendable {
  public struct Point: Sendable {
    public var latencyMilliseconds: Double
    public var accuracy: Double
    public var onFront: Bool
    public var isBest: Bool

    public init(latencyMilliseconds: Double, accuracy: Double, onFront: Bool, isBest: Bool) {
      self.latencyMilliseconds = latencyMilliseconds
      self.accuracy = accuracy
      self.onFront = onFront
      self.isBest = isBest
    }
  }

  public var title: String
  public var points: [Point]
  public var targetMilliseconds: Double?
  public var accuracyLabel: String

  public init(title: String, points: [Point], targetMilliseconds: Double?, accuracyLabel: String = "accuracy") {
    self.title = title
    self.points = points
    self.targetMilliseconds = targetMilliseconds
    self.accuracyLabel = accuracyLabel
  }

  public func svg(width: Double = 720, height: Double = 480) -> String {
    let finite = points.filter { $0.latencyMilliseconds.isFinite && $0.accuracy.isFinite }
    var xs = finite.map(\.latencyMilliseconds)
    if let t = targetMilliseconds, t.isFinite, let lo = xs.min(), let hi = xs.max(), t <= hi * 1.5, t >= lo / 1.5 { xs.append(t) }
    let frame = ChartFrame(width: width, height: height, xs: xs, ys: finite.map(\.accuracy))
    func at(_ p: Point) -> String {
      #"cx="\#(ChartFrame.number(frame.px(p.latencyMilliseconds)))" cy="\#(ChartFrame.number(frame.py(p.accuracy)))""#
    }
    var out = frame.open(title: title) + frame.axes(xLabel: "predicted latency (ms)", yLabel: accuracyLabel)
    if let t = targetMilliseconds { out += frame.verticalRule(at: t, label: "target \(ChartFrame.number(t, 2)) ms", colour: "#c0392b") }
    for p in finite where !p.onFront { out.append(##"<circle \##(at(p)) r="3" fill="#7f8c8d" fill-opacity="0.6"/>"##) }
    let front = finite.filter(\.onFront).sorted { $0.latencyMilliseconds < $1.latencyMilliseconds }
    if front.count > 1 {
      let path = front.map { "\(ChartFrame.number(frame.px($0.latencyMilliseconds))),\(ChartFrame.number(frame.py($0.accuracy)))" }
      out.append(##"<polyline points="\##(path.joined(separator: " "))" fill="none" stroke="#2980b9" stroke-width="1.5"/>"##)
    }
    for p in front { out.append(##"<circle \##(at(p)) r="4" fill="#2980b9"/>"##) }
    for p in finite where p.isBest { out.append(##"<circle \##(at(p)) r="7" fill="none" stroke="#27ae60" stroke-width="2"/>"##) }
    out.append(frame.legend("grey: candidates  blue: Pareto front  green ring: best reward"))
    out.append("</svg>")
    return out.joined(separator: "\n") + "\n"
  }
}
