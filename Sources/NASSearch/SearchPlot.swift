import Foundation

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
    let left = 70.0, right = 20.0, top = 40.0, bottom = 55.0
    let finite = points.filter { $0.latencyMilliseconds.isFinite && $0.accuracy.isFinite }
    var xs = finite.map(\.latencyMilliseconds)
    if let t = targetMilliseconds, t.isFinite, let lo = xs.min(), let hi = xs.max(), t <= hi * 1.5, t >= lo / 1.5 { xs.append(t) }
    let ys = finite.map(\.accuracy)
    let (x0, x1) = Self.range(xs)
    let (y0, y1) = Self.range(ys)
    func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * (width - left - right) }
    func py(_ y: Double) -> Double { height - bottom - (y - y0) / (y1 - y0) * (height - top - bottom) }
    var out: [String] = []
    out.append(#"<svg xmlns="http://www.w3.org/2000/svg" width="\#(Int(width))" height="\#(Int(height))" font-family="sans-serif" font-size="12">"#)
    out.append(#"<rect width="100%" height="100%" fill="white"/>"#)
    out.append(#"<text x="\#(Int(width / 2))" y="22" text-anchor="middle" font-size="14">\#(Self.escape(title))</text>"#)
    // Axes with five ticks each.
    out.append(#"<line x1="\#(left)" y1="\#(height - bottom)" x2="\#(width - right)" y2="\#(height - bottom)" stroke="black"/>"#)
    out.append(#"<line x1="\#(left)" y1="\#(top)" x2="\#(left)" y2="\#(height - bottom)" stroke="black"/>"#)
    for i in 0...4 {
      let xv = x0 + (x1 - x0) * Double(i) / 4, yv = y0 + (y1 - y0) * Double(i) / 4
      out.append(#"<text x="\#(Self.f(px(xv)))" y="\#(Self.f(height - bottom + 16))" text-anchor="middle">\#(Self.f(xv, 2))</text>"#)
      out.append(#"<text x="\#(Self.f(left - 6))" y="\#(Self.f(py(yv) + 4))" text-anchor="end">\#(Self.f(yv, 3))</text>"#)
    }
    out.append(#"<text x="\#(Int(width / 2))" y="\#(Int(height - 12))" text-anchor="middle">predicted latency (ms)</text>"#)
    out.append(#"<text x="16" y="\#(Int(height / 2))" text-anchor="middle" transform="rotate(-90 16 \#(Int(height / 2)))">\#(Self.escape(accuracyLabel))</text>"#)
    if let t = targetMilliseconds, t >= x0, t <= x1 {
      out.append(##"<line x1="\##(Self.f(px(t)))" y1="\##(top)" x2="\##(Self.f(px(t)))" y2="\##(height - bottom)" stroke="#c0392b" stroke-dasharray="6,4"/>"##)
      out.append(##"<text x="\##(Self.f(px(t) + 4))" y="\##(top + 12)" fill="#c0392b">target \##(Self.f(t, 2)) ms</text>"##)
    }
    for p in finite where !p.onFront {
      out.append(##"<circle cx="\##(Self.f(px(p.latencyMilliseconds)))" cy="\##(Self.f(py(p.accuracy)))" r="3" fill="#7f8c8d" fill-opacity="0.6"/>"##)
    }
    let front = finite.filter(\.onFront).sorted { $0.latencyMilliseconds < $1.latencyMilliseconds }
    if front.count > 1 {
      let path = front.map { "\(Self.f(px($0.latencyMilliseconds))),\(Self.f(py($0.accuracy)))" }.joined(separator: " ")
      out.append(##"<polyline points="\##(path)" fill="none" stroke="#2980b9" stroke-width="1.5"/>"##)
    }
    for p in front {
      out.append(##"<circle cx="\##(Self.f(px(p.latencyMilliseconds)))" cy="\##(Self.f(py(p.accuracy)))" r="4" fill="#2980b9"/>"##)
    }
    for p in finite where p.isBest {
      out.append(##"<circle cx="\##(Self.f(px(p.latencyMilliseconds)))" cy="\##(Self.f(py(p.accuracy)))" r="7" fill="none" stroke="#27ae60" stroke-width="2"/>"##)
    }
    out.append(#"<text x="\#(Int(width - right))" y="\#(top - 4)" text-anchor="end">grey: candidates  blue: Pareto front  green ring: best reward</text>"#)
    out.append("</svg>")
    return out.joined(separator: "\n") + "\n"
  }

  static func range(_ values: [Double]) -> (Double, Double) {
    guard let lo = values.min(), let hi = values.max() else { return (0, 1) }
    if hi - lo < 1e-9 { return (lo - 0.5, hi + 0.5) }
    let pad = (hi - lo) * 0.05
    return (lo - pad, hi + pad)
  }

  static func f(_ x: Double, _ decimals: Int = 1) -> String { String(format: "%.\(decimals)f", x) }

  static func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
  }
}
