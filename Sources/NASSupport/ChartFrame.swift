import Foundation

/// The plot area of an SVG chart: linear axes fitted to the data, the pixel position of a
/// value, and the axes drawn with five ticks each. The search's plot and the run report draw
/// on it, so every chart `nas` writes reads the same way.
public struct ChartFrame: Sendable {
  public var width: Double
  public var height: Double
  public var left = 70.0
  public var right = 20.0
  public var top = 40.0
  public var bottom = 55.0
  /// The value range of each axis.
  public var x: (low: Double, high: Double)
  public var y: (low: Double, high: Double)

  /// A frame whose axes cover `xs` and `ys` with a 5% margin.
  public init(width: Double, height: Double, xs: [Double], ys: [Double]) {
    self.width = width
    self.height = height
    x = Self.range(xs)
    y = Self.range(ys)
  }

  public func px(_ value: Double) -> Double { left + (value - x.low) / (x.high - x.low) * (width - left - right) }
  public func py(_ value: Double) -> Double { height - bottom - (value - y.low) / (y.high - y.low) * (height - top - bottom) }

  /// The opening `<svg>` tag with a white background and the title.
  public func open(title: String) -> [String] {
    [
      #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(Int(width))" height="\#(Int(height))" viewBox="0 0 \#(Int(width)) \#(Int(height))" font-family="sans-serif" font-size="12">"#,
      #"<rect width="100%" height="100%" fill="white"/>"#,
      #"<text x="\#(Int(width / 2))" y="18" text-anchor="middle" font-size="14">\#(Self.escape(title))</text>"#,
    ]
  }

  /// Both axes with five ticks each and their labels.
  public func axes(xLabel: String, yLabel: String, xDecimals: Int = 2, yDecimals: Int = 3) -> [String] {
    var out = [
      #"<line x1="\#(left)" y1="\#(height - bottom)" x2="\#(width - right)" y2="\#(height - bottom)" stroke="black"/>"#,
      #"<line x1="\#(left)" y1="\#(top)" x2="\#(left)" y2="\#(height - bottom)" stroke="black"/>"#,
    ]
    for i in 0...4 {
      let xv = x.low + (x.high - x.low) * Double(i) / 4, yv = y.low + (y.high - y.low) * Double(i) / 4
      out.append(#"<text x="\#(Self.number(px(xv)))" y="\#(Self.number(height - bottom + 16))" text-anchor="middle">\#(Self.number(xv, xDecimals))</text>"#)
      out.append(#"<text x="\#(Self.number(left - 6))" y="\#(Self.number(py(yv) + 4))" text-anchor="end">\#(Self.number(yv, yDecimals))</text>"#)
    }
    out.append(#"<text x="\#(Int(width / 2))" y="\#(Int(height - 12))" text-anchor="middle">\#(Self.escape(xLabel))</text>"#)
    out.append(
      #"<text x="16" y="\#(Int(height / 2))" text-anchor="middle" transform="rotate(-90 16 \#(Int(height / 2)))">\#(Self.escape(yLabel))</text>"#)
    return out
  }

  /// A vertical dashed rule at `value` with a label, when it is inside the x range.
  public func verticalRule(at value: Double, label: String, colour: String) -> [String] {
    guard value >= x.low, value <= x.high else { return [] }
    let p = Self.number(px(value))
    return [
      #"<line x1="\#(p)" y1="\#(top)" x2="\#(p)" y2="\#(height - bottom)" stroke="\#(colour)" stroke-dasharray="6,4"/>"#,
      #"<text x="\#(Self.number(px(value) + 4))" y="\#(top + 12)" fill="\#(colour)">\#(Self.escape(label))</text>"#,
    ]
  }

  /// A key to the marks, under the title.
  public func legend(_ text: String) -> String {
    ##"<text x="\##(Int(left))" y="\##(Int(top - 6))" font-size="11" fill="#555">\##(Self.escape(text))</text>"##
  }

  /// The values' range with a 5% margin (a unit-wide range around a single value).
  public static func range(_ values: [Double]) -> (low: Double, high: Double) {
    let finite = values.filter(\.isFinite)
    guard let lo = finite.min(), let hi = finite.max() else { return (0, 1) }
    if hi - lo < 1e-9 { return (lo - 0.5, hi + 0.5) }
    let pad = (hi - lo) * 0.05
    return (lo - pad, hi + pad)
  }

  public static func number(_ value: Double, _ decimals: Int = 1) -> String { String(format: "%.\(decimals)f", value) }

  /// Text made safe for XML and HTML, attributes included.
  public static func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
      .replacingOccurrences(of: "\"", with: "&quot;")
  }
}
