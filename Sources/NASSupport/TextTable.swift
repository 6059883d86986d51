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
    let widths = Self.widths(headers: headers, rows: rows)
    var lines = [Self.line(headers, widths: widths, rightAligned: rightAligned), Self.rule(widths)]
    lines += rows.map { Self.line($0, widths: widths, rightAligned: rightAligned) }
    return lines.joined(separator: "\n")
  }

  static func widths(headers: [String], rows: [[String]]) -> [Int] {
    var widths = headers.map(\.count)
    for row in rows {
      for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
    }
    return widths
  }

  static func rule(_ widths: [Int]) -> String { widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") }

  static func line(_ cells: [String], widths: [Int], rightAligned: Set<Int>) -> String {
    var out: [String] = []
    for (i, w) in widths.enumerated() {
      let cell = i < cells.count ? cells[i] : ""
      let pad = String(repeating: " ", count: max(0, w - cell.count))
      out.append(rightAligned.contains(i) ? pad + cell : cell + pad)
    }
    var text = out.joined(separator: "  ")
    while text.hasSuffix(" ") { text.removeLast() }
    return text
  }
}

/// A ``TextTable`` printed while its rows arrive: the first `sampleRows` rows set the column
/// widths and later rows reuse them (a longer cell widens only its own line), so a long query
/// shows its first rows at once instead of after its last.
public final class StreamingTextTable {
  private let headers: [String]
  private let sampleRows: Int
  private let emit: (String) -> Void
  private var buffered: [[String]] = []
  private var widths: [Int]?

  public init(headers: [String], sampleRows: Int = 100, emit: @escaping (String) -> Void) {
    self.headers = headers
    self.sampleRows = sampleRows
    self.emit = emit
  }

  public func append(_ row: [String]) {
    if let widths { return emit(TextTable.line(row, widths: widths, rightAligned: [])) }
    buffered.append(row)
    if buffered.count >= sampleRows { flush() }
  }

  /// Prints what is still buffered (the whole table when it had fewer than `sampleRows` rows).
  public func finish() { if widths == nil { flush() } }

  private func flush() {
    let widths = TextTable.widths(headers: headers, rows: buffered)
    self.widths = widths
    emit(TextTable.line(headers, widths: widths, rightAligned: []))
    emit(TextTable.rule(widths))
    for row in buffered { emit(TextTable.line(row, widths: widths, rightAligned: [])) }
    buffered = []
  }
}
