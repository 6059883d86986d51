import CLibPQ
import Foundation
import GRDB

/// One connection to a PostgreSQL server through libpq: the results store's PostgreSQL engine
/// runs every statement through one of these.
///
/// Not thread-safe: one thread at a time uses it (the store's engine pools them), except
/// `cancel()`, which any thread may call. It is `@unchecked Sendable` so that a pool can hand it
/// from thread to thread and a watchdog can hold it to cancel.
final class PostgresConnection: @unchecked Sendable {
  private let connection: OpaquePointer
  /// Made once while connected: PQcancel on it is safe from any thread, PQgetCancel is not.
  private let cancelHandle: OpaquePointer?
  private let runningLock = NSLock()
  private var running = false

  init(url: String) throws {
    // The URL comes last so that its own application_name or connect_timeout wins over ours.
    let strings = (["application_name", "connect_timeout", "dbname", "nas", "10", url] as [String]).map { strdup($0) }
    defer { strings.forEach { free($0) } }
    let keys = strings[0..<3].map { UnsafePointer($0) } + [nil], values = strings[3...].map { UnsafePointer($0) } + [nil]
    guard let made = PQconnectdbParams(keys, values, 1) else {
      throw PostgresError.connect("cannot connect to PostgreSQL at \(Self.redacted(url)): out of memory")
    }
    guard PQstatus(made) == CONNECTION_OK else {
      let message = Self.scrub(String(cString: PQerrorMessage(made)), of: url)
      PQfinish(made)
      throw PostgresError.connect(Self.connectMessage(url: url, libpq: message))
    }
    connection = made
    cancelHandle = PQgetCancel(made)
    // NOTICEs (e.g. "table does not exist, skipping") are not errors and must not reach the terminal.
    PQsetNoticeProcessor(made, { _, _ in }, nil)
    // Timestamps read back the same on every host. The server need not send NOTICEs nobody reads.
    try executeScript("SET TIME ZONE 'UTC'; SET client_min_messages = warning")
  }

  deinit {
    if let cancelHandle { PQfreeCancel(cancelHandle) }
    PQfinish(connection)
  }

  /// False once the connection is broken. Reads what the server sent while idle first, so a
  /// backend that was terminated (or a server that restarted) is noticed before the next statement.
  var isHealthy: Bool {
    guard PQstatus(connection) == CONNECTION_OK else { return false }
    // The socket is non-blocking inside libpq, so this never waits. Twice, because a read that
    // finds data stops there, and only the next one meets the end of the stream behind it.
    if PQconsumeInput(connection) == 1 { _ = PQconsumeInput(connection) }
    return PQstatus(connection) == CONNECTION_OK
  }

  /// Asks the server to cancel the statement in progress; does nothing when none is. The
  /// statement then fails with SQLSTATE 57014. A cancel that races the statement's end may be
  /// ignored by the server (PostgreSQL's protocol cannot say which statement to cancel).
  func cancel() {
    // Held through PQcancel (which returns once the server took the request) so the next
    // statement cannot start, and be cancelled instead, before the request arrived.
    runningLock.lock()
    defer { runningLock.unlock() }
    guard running, let cancelHandle else { return }
    var buffer = [CChar](repeating: 0, count: 256)
    _ = PQcancel(cancelHandle, &buffer, Int32(buffer.count))
  }

  /// Runs one statement; `?` placeholders (outside literals, quoted identifiers and comments)
  /// take `arguments` in order.
  @discardableResult
  func execute(_ sql: String, _ arguments: [DatabaseValue] = []) throws -> PostgresResult {
    let (text, placeholders) = PostgresSQL.numberPlaceholders(sql)
    // With no `?` the caller may be using $n itself; the server then checks the count.
    if placeholders > 0 && placeholders != arguments.count {
      throw PostgresError.arguments("the statement has \(placeholders) `?` placeholders but \(arguments.count) arguments were given")
    }
    var types = [Oid](), lengths = [Int32](), formats = [Int32]()
    var values = [UnsafeMutablePointer<CChar>?]()
    defer { values.forEach { free($0) } }
    for (index, argument) in arguments.enumerated() {
      var type: Oid = 0, length: Int32 = 0, format: Int32 = 0, value: UnsafeMutablePointer<CChar>? = nil
      switch argument.storage {
      case .null: break
      case .int64(let int): value = strdup(String(int))
      case .double(let double): value = strdup(PostgresSQL.text(of: double))
      case .string(let string):
        // Text parameters travel as C strings; a NUL would silently cut the value short.
        guard !string.utf8.contains(0) else {
          throw PostgresError.arguments("argument \(index + 1) contains a NUL character, which PostgreSQL text cannot hold")
        }
        value = strdup(string)
      case .blob(let data):
        // Never a null pointer, even for empty data: a null value means SQL NULL to libpq.
        let bytes = malloc(max(data.count, 1))!.assumingMemoryBound(to: CChar.self)
        data.withUnsafeBytes { raw in if let base = raw.baseAddress { memcpy(bytes, base, data.count) } }
        (value, type, length, format) = (bytes, 17, Int32(data.count), 1)
      }
      types.append(type); lengths.append(length); formats.append(format); values.append(value)
    }
    let pointers = values.map { UnsafePointer($0) }
    return try consume(withRunning { PQexecParams(connection, text, Int32(arguments.count), types, pointers, lengths, formats, 0) })
  }

  /// Runs parameterless text that may hold several statements (migrations). Without an explicit
  /// BEGIN/COMMIT PostgreSQL runs them as one implicit transaction, stopping at the first error.
  func executeScript(_ sql: String) throws {
    _ = try consume(withRunning { PQexec(connection, sql) })
  }

  /// The URL for messages: a password in it (URI user info, `password=` query parameter or
  /// key/value setting) becomes `***`.
  static func redacted(_ url: String) -> String {
    var text = url
    for range in passwordRanges(in: url).reversed() { text.replaceSubrange(range, with: "***") }
    return text
  }

  // MARK: - Private

  private func withRunning(_ body: () -> OpaquePointer?) -> OpaquePointer? {
    runningLock.withLock { running = true }
    defer { runningLock.withLock { running = false } }
    return body()
  }

  /// Turns a PGresult (which it frees) into a result or the error it reports.
  private func consume(_ result: OpaquePointer?) throws -> PostgresResult {
    guard let result else { throw lostOrStatement(sqlState: nil, message: lastError) }
    defer { PQclear(result) }
    switch PQresultStatus(result) {
    case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_SINGLE_TUPLE:
      return PostgresResult(result)
    case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
      abandonCopy()
      throw PostgresError.statement(sqlState: "0A000", message: "COPY to or from the client is not supported")
    default:
      let field = { (code: Character) -> String? in
        PQresultErrorField(result, Int32(code.asciiValue!)).map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
      }
      var message = field("M") ?? String(cString: PQresultErrorMessage(result))
      if message.isEmpty { message = lastError }
      if let detail = field("D") { message += " (detail: \(detail))" }
      if let hint = field("H") { message += " (hint: \(hint))" }
      throw lostOrStatement(sqlState: field("C"), message: message)
    }
  }

  private var lastError: String {
    let message = String(cString: PQerrorMessage(connection))
    return message.isEmpty ? "no answer from the server" : message
  }

  /// A broken connection, or a failure of the link rather than the statement, is `connectionLost`
  /// so the caller drops the connection. 08P01 (protocol violation, e.g. a wrong parameter count
  /// with `$n` placeholders) leaves the connection fine and stays a statement error.
  private func lostOrStatement(sqlState: String?, message: String) -> PostgresError {
    let text = PostgresError.oneLine(message)
    let code = sqlState ?? ""
    if PQstatus(connection) != CONNECTION_OK || (code.hasPrefix("08") && code != "08P01") || code == "57P01" {
      return .connectionLost(code.isEmpty ? text : "\(text) [\(code)]")
    }
    // An empty SQLSTATE: libpq itself refused (nothing reached the server).
    return .statement(sqlState: code, message: text)
  }

  /// Leaves COPY mode so the connection can run the next statement.
  private func abandonCopy() {
    _ = PQputCopyEnd(connection, "COPY to or from the client is not supported by nas")
    var buffer: UnsafeMutablePointer<CChar>? = nil
    while PQgetCopyData(connection, &buffer, 0) > 0 { PQfreemem(buffer) }
    while let next = PQgetResult(connection) { PQclear(next) }
  }

  /// Where the passwords are in a connection string, in order.
  private static func passwordRanges(in url: String) -> [Range<String.Index>] {
    var ranges = [Range<String.Index>]()
    if let scheme = url.range(of: "://"), url[..<scheme.lowerBound].lowercased().hasPrefix("postgres") {
      // libpq's own rule: user info ends at the first '@' met before any '/'.
      let rest = url[scheme.upperBound...]
      if let at = rest.firstIndex(where: { $0 == "@" || $0 == "/" }), rest[at] == "@",
        let colon = rest[..<at].firstIndex(of: ":")
      {
        ranges.append(url.index(after: colon)..<at)
      }
    }
    // `password=` as a URI query parameter or a key/value setting (quoted or not).
    let pattern = #"(?:^|[?&\s])password\s*=\s*('(?:[^'\\]|\\.)*'|[^&\s]*)"#
    let regex = try! NSRegularExpression(pattern: pattern, options: [.caseInsensitive])
    for match in regex.matches(in: url, range: NSRange(url.startIndex..., in: url)) {
      if let range = Range(match.range(at: 1), in: url), !range.isEmpty { ranges.append(range) }
    }
    return ranges
  }

  /// Removes the password from libpq's messages: some (a bad percent-escape, a malformed
  /// key/value string) quote the piece of the URL they choke on.
  private static func scrub(_ message: String, of url: String) -> String {
    var secrets = Set<String>()
    for range in passwordRanges(in: url) {
      let raw = String(url[range])
      secrets.insert(raw)
      if let decoded = raw.removingPercentEncoding { secrets.insert(decoded) }
      if raw.hasPrefix("'") { secrets.insert(String(raw.dropFirst().dropLast()).replacingOccurrences(of: "\\", with: "")) }
    }
    // Very short "passwords" would turn every matching letter of the message into ***.
    var text = message
    for secret in secrets.sorted(by: { $0.count > $1.count }) where secret.count >= 4 {
      text = text.replacingOccurrences(of: secret, with: "***")
    }
    return text
  }

  private static func connectMessage(url: String, libpq: String) -> String {
    let reason = PostgresError.oneLine(libpq)
    let check =
      reason.contains("password authentication failed") || reason.contains("no password supplied")
      ? "check the user name and password in the URL"
      : reason.contains("does not exist")
        ? "check the user and database names in the URL (the database must exist)"
        : "check the URL, and that the server is running and accepts connections from this host"
    return "cannot connect to PostgreSQL at \(redacted(url)): \(reason); \(check)"
  }
}

/// A statement's result: column names in order, rows as GRDB `Row`s keyed by column name (so
/// GRDB `FetchableRecord` types decode them), the same cells as optional text for printing, and
/// the count of rows a command changed.
///
/// The rows are built from dictionaries, so read them by column name: their column order is not
/// the statement's, and of two columns with one name only one survives. `columns` and `cells`
/// keep the statement's order and every column.
struct PostgresResult {
  var columns: [String]
  var rows: [Row]
  var cells: [[String?]]
  var changes: Int

  fileprivate init(_ result: OpaquePointer) {
    let width = PQnfields(result)
    let names = (0..<width).map { String(cString: PQfname(result, $0)) }
    let types = (0..<width).map { PQftype(result, $0) }
    cells = (0..<PQntuples(result)).map { row in
      (0..<width).map { column in
        guard PQgetisnull(result, row, column) == 0 else { return nil }
        return Self.cellText(String(cString: PQgetvalue(result, row, column)), type: types[Int(column)])
      }
    }
    rows = cells.map { texts in
      var dictionary = [String: (any DatabaseValueConvertible)?]()
      for (column, text) in texts.enumerated() {
        dictionary[names[column]] = .some(text.map { Self.value(of: $0, type: types[column]) })
      }
      return Row(dictionary)
    }
    columns = names
    changes = Int(String(cString: PQcmdTuples(result))) ?? 0
  }

  /// A cell's text as SQLite's side prints the same value, so `nas db` answers alike on both
  /// engines: a bool as 1/0, a float as Swift prints a Double (`1.0`, not PostgreSQL's `1`).
  /// A numeric stays PostgreSQL's text: a sum of integers is numeric there and an integer in SQLite.
  private static func cellText(_ text: String, type: Oid) -> String {
    switch type {
    case 16: return text == "t" ? "1" : "0"
    case 700, 701: return Double(text).map { "\($0)" } ?? text
    default: return text
    }
  }

  /// A text-format cell as the Swift value its column's type OID calls for.
  private static func value(of text: String, type: Oid) -> any DatabaseValueConvertible {
    switch type {
    case 16, 20, 21, 23, 26:  // bool (already 1/0), int8, int2, int4, oid
      if let int = Int64(text) { return int }
    case 700, 701, 1700:  // float4, float8, numeric ("NaN" and "Infinity" parse too)
      if let double = Double(text) { return double }
    case 17:  // bytea: PQunescapeBytea reads the hex form and the old escape form alike
      var length = 0
      if let bytes = PQunescapeBytea(text, &length) {
        defer { PQfreemem(bytes) }
        return Data(bytes: bytes, count: length)
      }
    default:
      break
    }
    return text
  }
}

/// What can go wrong talking to PostgreSQL. Descriptions are one line and never hold a password.
enum PostgresError: Error, CustomStringConvertible, Sendable {
  /// The server could not be reached or refused the connection; says what to check, with the redacted URL.
  case connect(String)
  /// The server rejected a statement: SQLSTATE and the primary message (with detail and hint).
  case statement(sqlState: String, message: String)
  /// The connection broke (server gone, backend terminated, network); the connection is unusable.
  case connectionLost(String)
  /// The call itself was wrong (placeholder count, a value PostgreSQL cannot take); nothing was sent.
  case arguments(String)

  var description: String {
    switch self {
    case .connect(let message): return message
    case .statement(let sqlState, let message):
      return sqlState.isEmpty ? "PostgreSQL client error: \(message)" : "PostgreSQL error \(sqlState): \(message)"
    case .connectionLost(let message): return "lost the connection to PostgreSQL: \(message)"
    case .arguments(let message): return "bad statement arguments: \(message)"
    }
  }

  /// Worth retrying on a new connection: the server or the network failed, not the statement.
  var isConnectionFailure: Bool {
    switch self {
    case .connect, .connectionLost: return true
    case .statement(let sqlState, _): return (sqlState.hasPrefix("08") && sqlState != "08P01") || sqlState.hasPrefix("57P")
    case .arguments: return false
    }
  }

  /// Worth retrying the whole transaction: it lost a serialization conflict or a deadlock.
  var isSerializationFailure: Bool {
    if case .statement(let sqlState, _) = self { return sqlState == "40001" || sqlState == "40P01" }
    return false
  }

  /// libpq's messages end in newlines and indent their hints on a second line.
  static func oneLine(_ text: String) -> String {
    text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
      .filter { !$0.isEmpty }.joined(separator: " ")
  }
}

/// SQL text handling for PostgreSQL.
enum PostgresSQL {
  /// Turns SQLite-style `?` placeholders into `$1`, `$2`, … and counts them. A `?` inside a
  /// string literal ('…', E'…' with backslash escapes, $tag$…$tag$), a quoted identifier or a
  /// comment (--, nested /* */) is left alone. Assumes standard_conforming_strings (the default
  /// since PostgreSQL 9.1). PostgreSQL's own `?` operators (jsonb) cannot be used through here.
  static func numberPlaceholders(_ sql: String) -> (String, Int) {
    let s = Array(sql.utf8), n = s.count
    var out = [UInt8](), count = 0, i = 0
    out.reserveCapacity(n + 8)
    func isIdentifier(_ b: UInt8) -> Bool {
      b == UInt8(ascii: "_") || b == UInt8(ascii: "$") || b >= 0x80 || (48...57).contains(b) || (97...122).contains(b | 0x20)
    }
    func has(_ text: String, at j: Int) -> Bool { s[j...].starts(with: text.utf8) }
    /// The end of the literal, quoted identifier or comment that starts at `i`, if one does.
    func endOfQuoted() -> Int? {
      if has("'", at: i) || has("\"", at: i) {
        let quote = s[i]
        // E'…' (the E not ending a longer word) takes backslash escapes.
        let escapes = has("'", at: i) && i > 0 && s[i - 1] | 0x20 == UInt8(ascii: "e") && (i < 2 || !isIdentifier(s[i - 2]))
        var j = i + 1
        while j < n {
          if escapes && s[j] == UInt8(ascii: "\\") {
            j += 2
          } else if s[j] == quote {
            guard has(String(UnicodeScalar(quote)), at: j + 1) else { return j + 1 }
            j += 2  // '' or "" stays inside
          } else {
            j += 1
          }
        }
        return n
      }
      if has("--", at: i) { return s[i...].firstIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? n }
      if has("/*", at: i) {
        var depth = 0, j = i
        while j < n {
          if has("/*", at: j) {
            depth += 1; j += 2
          } else if has("*/", at: j) {
            depth -= 1; j += 2
            if depth == 0 { return j }
          } else {
            j += 1
          }
        }
        return n
      }
      // $tag$…$tag$ (the $ not inside a word); $1 is a parameter, as a tag cannot start with a digit.
      if has("$", at: i) && (i == 0 || !isIdentifier(s[i - 1])) {
        var j = i + 1
        while j < n && isIdentifier(s[j]) && s[j] != UInt8(ascii: "$") && !(j == i + 1 && (48...57).contains(s[j])) { j += 1 }
        guard has("$", at: j) else { return nil }
        let tag = s[i...j]
        var k = j + 1
        while k < n && !s[k...].starts(with: tag) { k += 1 }
        return min(k + tag.count, n)
      }
      return nil
    }
    while i < n {
      if let end = endOfQuoted() {
        out += s[i..<end]
        i = end
        continue
      }
      if s[i] == UInt8(ascii: "?") {
        count += 1
        // Spaces keep the number from fusing with a neighbour: `LIMIT?` must not become `LIMIT$1`.
        if let last = out.last, isIdentifier(last) { out.append(UInt8(ascii: " ")) }
        out += Array("$\(count)".utf8)
        if i + 1 < n && isIdentifier(s[i + 1]) { out.append(UInt8(ascii: " ")) }
      } else {
        out.append(s[i])
      }
      i += 1
    }
    return (String(decoding: out, as: UTF8.self), count)
  }

  /// A Double as PostgreSQL reads it back exactly (Swift prints the shortest round-tripping digits).
  static func text(of double: Double) -> String {
    if double.isNaN { return "NaN" }
    if double.isInfinite { return double < 0 ? "-Infinity" : "Infinity" }
    return "\(double)"
  }
}
