import Foundation
import NASSupport

/// Prints a streamed query as it arrives: an aligned table, or a JSON array of objects that
/// stays valid JSON when a limit ends the query early.
final class QueryOutput {
  private let json: Bool
  private var keys: [String] = []
  private var table: StreamingTextTable?
  private var rows = 0

  init(json: Bool) { self.json = json }

  func begin(_ columns: [String]) {
    keys = DBCommand.Options.uniqueKeys(columns)
    if json {
      Self.write("[")
    } else {
      table = StreamingTextTable(headers: columns, emit: Self.write)
    }
  }

  func append(_ row: [String?]) throws {
    let cells = row.map { $0 ?? "" }
    if json {
      let object = try JSONOutput.string(Dictionary(uniqueKeysWithValues: zip(keys, cells)))
      Self.write((rows == 0 ? "" : ",\n") + object, newline: false)
    } else {
      table?.append(cells)
    }
    rows += 1
  }

  func end() {
    if json {
      Self.write(rows == 0 ? "]" : "\n]")
    } else {
      table?.finish()
    }
  }

  private static func write(_ text: String) { write(text, newline: true) }

  private static func write(_ text: String, newline: Bool) {
    FileHandle.standardOutput.write(Data((newline ? text + "\n" : text).utf8))
  }
}
