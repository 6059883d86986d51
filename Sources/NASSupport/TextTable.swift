/// Formats rows as an aligned plain-text table, the default output of every query command.
public struct TextTable: Sendable {
  public var headers: [String]
  public var rows: [[String]]
  /// Columns whose cells are right-aligned (numbers).
  public var rightAligned: Set<Int>

  public init(headers: [String], rows: [[String]] = [], rightAligned: Set<Int> = []) {
    self.headers = headers
    self.rows = rows
    self.rightAligned = rightAligned
  }

  public mutating func append(_ row: [String]) { rows.append(row) }

  public func render() -> String {
    var widths = headers.map(\.count)
    for row in rows {
      for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
    }
    func line(_ cells: [String]) -> String {
      var out: [String] = []
      for (i, w) in widths.enumerated() {
        let cell = i < cells.count ? cells[i] : ""
        let pad = String(repeating: " ", count: w - cell.count)
        out.append(rightAligned.contains(i) ? pad + cell : cell + pad)
      }
      var text = out.joined(separator: "  ")
      while text.hasSuffix(" ") { text.removeLast() }
      return text
    }
    var lines = [line(headers), line(widths.map { String(repeating: "-", count: $0) })]
    lines += rows.map(line)
    return lines.joined(separator: "\n")
  }
}
