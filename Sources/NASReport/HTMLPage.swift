import Foundation
import NASSupport

/// A self-contained HTML page: inline CSS and SVG, no scripts, no fonts or files from
/// elsewhere, so it reads offline and travels as one attachment.
struct HTMLPage {
  var title: String
  private var body: [String] = []

  init(title: String) { self.title = title }

  static func escape(_ s: String) -> String { ChartFrame.escape(s) }

  /// A section with an id (what the browser check looks for) and a heading.
  mutating func section(_ id: String, _ heading: String, _ content: [String]) {
    body.append(#"<section id="\#(id)"><h2>\#(Self.escape(heading))</h2>"#)
    body += content
    body.append("</section>")
  }

  mutating func raw(_ html: String) { body.append(html) }

  /// A definition list of label–value pairs (values are escaped).
  static func facts(_ pairs: [(String, String)]) -> String {
    "<dl>" + pairs.map { "<dt>\(escape($0.0))</dt><dd>\(escape($0.1))</dd>" }.joined() + "</dl>"
  }

  /// A table; cells are HTML (escape text first), `numeric` columns align right.
  static func table(_ headers: [String], _ rows: [[String]], numeric: Set<Int> = []) -> String {
    func cell(_ tag: String, _ i: Int, _ content: String) -> String {
      numeric.contains(i) ? "<\(tag) class=\"n\">\(content)</\(tag)>" : "<\(tag)>\(content)</\(tag)>"
    }
    let head = "<tr>" + headers.enumerated().map { cell("th", $0.offset, escape($0.element)) }.joined() + "</tr>"
    let body = rows.map { "<tr>" + $0.enumerated().map { cell("td", $0.offset, $0.element) }.joined() + "</tr>" }
    return "<table>" + head + body.joined() + "</table>"
  }

  /// A horizontal bar (a share of `maximum`) with its label.
  static func bar(_ value: Double, of maximum: Double, label: String) -> String {
    let share = maximum > 0 && value.isFinite ? max(0, min(1, value / maximum)) : 0
    return #"<span class="nw"><span class="bar"><span style="width:\#(ChartFrame.number(100 * share))%"></span></span> \#(escape(label))</span>"#
  }

  static func paragraph(_ text: String) -> String { "<p>\(escape(text))</p>" }

  var html: String {
    """
    <!DOCTYPE html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>\(Self.escape(title))</title>
    <style>
    \(Self.css)
    </style>
    </head>
    <body>
    <h1>\(Self.escape(title))</h1>
    \(body.joined(separator: "\n"))
    </body>
    </html>

    """
  }

  static let css = """
    body { font-family: sans-serif; margin: 1.5em auto; max-width: 1100px; color: #222; line-height: 1.4; padding: 0 1em; }
    h1 { font-size: 1.5em; } h2 { font-size: 1.2em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 1.6em; }
    dl { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; } dt { color: #555; } dd { margin: 0; word-break: break-all; }
    table { border-collapse: collapse; font-size: 0.9em; margin: 0.5em 0; } th, td { border-bottom: 1px solid #e3e3e3; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
    th { background: #f4f4f4; } td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
    td { white-space: nowrap; } details td { white-space: normal; } .nw { white-space: nowrap; } .bar { display: inline-block; width: 60px; height: 0.8em; background: #eef2f7; vertical-align: middle; }
    .bar span { display: block; height: 100%; background: #2980b9; }
    details pre { background: #f8f8f8; padding: 0.5em; overflow-x: auto; font-size: 0.85em; }
    .warn { color: #c0392b; } svg { max-width: 100%; height: auto; }
    """
}
