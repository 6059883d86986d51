import Foundation
import GRDB

/// Why `nas db copy` refused or failed. Nothing was written to the destination: the copy is one
/// transaction there, and the checks run before it writes.
public enum StoreCopyError: Error, CustomStringConvertible, Equatable, Sendable {
  /// Source and destination are one database.
  case sameDatabase(String)
  /// The destination already holds rows (in `table`, the first such one).
  case destinationNotEmpty(location: String, table: String)
  /// The source has migrations the destination lacks (a newer nas wrote it).
  case newerSource(location: String, unknown: [String])
  /// A table this copy does not know the place of (a newer schema than this build's).
  case unknownTable(location: String, table: String)
  /// A table without a primary key cannot be read page by page.
  case noPrimaryKey(table: String)
  /// After the copy a table's row count differs between the two databases.
  case countMismatch(table: String, source: Int, destination: Int)

  public var description: String {
    switch self {
    case .sameDatabase(let location):
      return "source and destination are the same database (\(location)); give another --to"
    case .destinationNotEmpty(let location, let table):
      return "\(location): table \(table) already has rows; copy into a new, empty database (nothing was written)"
    case .newerSource(let location, let unknown):
      return "\(location): written by a newer nas (unknown migrations: \(unknown.joined(separator: ", "))); upgrade nas to copy it"
    case .unknownTable(let location, let table):
      return "\(location): table \(table) is not one nas copies (a newer schema?); nothing was written"
    case .noPrimaryKey(let table):
      return "table \(table) has no primary key, so it cannot be copied page by page"
    case .countMismatch(let table, let source, let destination):
      return "table \(table): \(source) rows in the source but \(destination) in the copy; nothing was written"
    }
  }
}

/// What a copy moved: each table's rows, in the order they were copied.
public struct StoreCopyReport: Codable, Sendable {
  /// The two locations, safe to print (a server URL without its password).
  public var source: String
  public var destination: String
  public var tables: [(name: String, rows: Int)]
  public var total: Int { tables.reduce(0) { $0 + $1.rows } }

  public init(source: String, destination: String, tables: [(name: String, rows: Int)]) {
    self.source = source
    self.destination = destination
    self.tables = tables
  }

  // Tuples are not Codable: each table travels as `{"table": …, "rows": …}`.
  private struct TableRows: Codable {
    var table: String
    var rows: Int
  }
  private enum CodingKeys: String, CodingKey { case source, destination, tables, total }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    source = try container.decode(String.self, forKey: .source)
    destination = try container.decode(String.self, forKey: .destination)
    tables = try container.decode([TableRows].self, forKey: .tables).map { ($0.table, $0.rows) }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(source, forKey: .source)
    try container.encode(destination, forKey: .destination)
    try container.encode(tables.map { TableRows(table: $0.name, rows: $0.rows) }, forKey: .tables)
    try container.encode(total, forKey: .total)
  }
}

/// Copies a whole results database into a new, empty one, on either engine (`nas db copy`): a
/// study moves from an SQLite file to a PostgreSQL server when it outgrows one host, and back.
public enum StoreCopy {
  /// The tables in foreign-key order (a row's references are copied before it). A table the
  /// databases have that is not here is refused, so a migration that adds one fails the tests
  /// until it is placed here, rather than being left behind silently.
  static let tables = [
    "runs", "architectures", "evaluations", "run_state", "device_profiles", "latency_samples", "latency_networks", "latency_models",
    "latency_validations", "netadapt_iterations", "netadapt_proposals", "evaluation_queue",
    "training_checkpoints",
  ]
  /// Source rows per SELECT: bounds memory whatever the table's size.
  static let pageRows = 2000
  /// Rows per INSERT: one statement per batch is much faster on PostgreSQL, where each statement
  /// is a round trip to the server.
  static let batchRows = 500

  /// Copies every row of every table from `source` into `destination`, ids kept, in one write
  /// transaction on the destination (a failed copy leaves it as it was), then checks the row
  /// counts. `progress` gets a table's name and its rows copied so far, after each page.
  public static func copy(
    from source: ResultsStore, to destination: ResultsStore, progress: (String, Int) -> Void = { _, _ in }
  ) throws -> StoreCopyReport {
    if sameDatabase(source, destination) { throw StoreCopyError.sameDatabase(source.path) }
    let copied = try destination.write { dst in
      try source.read { src in
        // Every page and count of the source from one snapshot, even while a search writes to
        // it (PostgreSQL's default, READ COMMITTED, would give each SELECT a newer one).
        if src.kind == .postgres { try src.execute(sql: "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ") }
        let order = try plan(src, source.path, dst, destination.path)
        for table in order where try dst.fetchOne(sql: "SELECT 1 FROM \(quoted(table)) LIMIT 1") != nil {
          throw StoreCopyError.destinationNotEmpty(location: destination.path, table: table)
        }
        var counts: [(name: String, rows: Int)] = []
        for table in order {
          counts.append((table, try copyTable(table, from: src, to: dst, progress: progress)))
        }
        if dst.kind == .postgres { try moveIdentities(dst) }
        for (table, rows) in counts {
          let inSource = try count(table, src), inCopy = try count(table, dst)
          guard inSource == inCopy, inCopy == rows else {
            throw StoreCopyError.countMismatch(table: table, source: inSource, destination: inCopy)
          }
        }
        return counts
      }
    }
    return StoreCopyReport(source: source.path, destination: destination.path, tables: copied)
  }

  /// Both stores on one file (by device and inode, so other spellings and links of a path count
  /// too) or on one server database (by URL).
  static func sameDatabase(_ a: ResultsStore, _ b: ResultsStore) -> Bool {
    guard a.engineKind == b.engineKind else { return false }
    guard a.engineKind == .sqlite else { return a.path == b.path }
    let identity = { (path: String) -> [Int]? in
      guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
        let device = (attributes[.systemNumber] as? NSNumber)?.intValue, let inode = (attributes[.systemFileNumber] as? NSNumber)?.intValue
      else { return nil }
      return [device, inode]
    }
    if let x = identity(a.path), let y = identity(b.path) { return x == y }
    return URL(fileURLWithPath: a.path).standardizedFileURL.resolvingSymlinksInPath()
      == URL(fileURLWithPath: b.path).standardizedFileURL.resolvingSymlinksInPath()
  }

  /// The tables to copy, in order, after refusing a source newer than the destination or a
  /// table whose place is unknown. A table an older, read-only source lacks is copied as empty.
  static func plan(_ src: any StoreSQL, _ srcLocation: String, _ dst: any StoreSQL, _ dstLocation: String) throws -> [String] {
    let srcTables = try tableNames(src), dstTables = try tableNames(dst)
    if srcTables.contains("grdb_migrations") {
      let applied = { (db: any StoreSQL) in
        Set(try db.fetchAll(sql: "SELECT identifier FROM grdb_migrations").map { $0["identifier"] as String })
      }
      let unknown = try applied(src).subtracting(try applied(dst)).sorted()
      if !unknown.isEmpty { throw StoreCopyError.newerSource(location: srcLocation, unknown: unknown) }
    }
    for (names, location) in [(srcTables, srcLocation), (dstTables, dstLocation)] {
      if let table = names.subtracting(tables + ["grdb_migrations"]).sorted().first {
        throw StoreCopyError.unknownTable(location: location, table: table)
      }
    }
    // The destination was migrated when opened, so it has them all; an older source may not.
    if let missing = tables.first(where: { !dstTables.contains($0) }) { throw StoreError.database("\(dstLocation) has no table \(missing)") }
    return tables
  }

  /// Copies one table page by page (keyset pagination on the primary key, so each page is one
  /// indexed range however deep into the table), inserting in batches; returns its row count.
  static func copyTable(_ table: String, from src: any StoreSQL, to dst: any StoreSQL, progress: (String, Int) -> Void) throws -> Int {
    let srcColumns = try columnNames(table, src)
    guard !srcColumns.isEmpty else { return 0 }  // not in an older source
    // Only columns both have: a column an older source lacks takes the destination's default.
    let dstColumns = Set(try columnNames(table, dst))
    let columns = srcColumns.filter { dstColumns.contains($0) }
    let key = try primaryKey(table, src)
    guard !key.isEmpty else { throw StoreCopyError.noPrimaryKey(table: table) }
    let select = "SELECT \((columns + key.filter { !columns.contains($0) }).map(quoted).joined(separator: ", ")) FROM \(quoted(table))"
    let order = " ORDER BY \(key.map(quoted).joined(separator: ", ")) LIMIT \(pageRows)"
    // A row-value comparison, which both engines have, for one-column and composite keys alike.
    let after = " WHERE (\(key.map(quoted).joined(separator: ", "))) > (\(key.map { _ in "?" }.joined(separator: ", ")))"
    // SQLite builds before 3.32 take at most 999 arguments per statement, PostgreSQL 65535.
    let perBatch = max(1, min(batchRows, (dst.kind == .sqlite ? 999 : 65535) / columns.count))
    var copied = 0
    var last: [DatabaseValue]? = nil
    while true {
      let rows = try src.fetchAll(sql: select + (last == nil ? "" : after) + order, arguments: last ?? [])
      // Read by name: a PostgreSQL row does not keep the SELECT's column order.
      let values = rows.map { row in columns.map { row[$0] as DatabaseValue } }
      var start = 0
      while start < values.count {
        let batch = values[start..<min(start + perBatch, values.count)]
        try insert(batch, into: table, columns: columns, dst)
        start += batch.count
      }
      copied += rows.count
      if !rows.isEmpty { progress(table, copied) }
      guard rows.count == pageRows, let end = rows.last else { return copied }
      last = key.map { end[$0] as DatabaseValue }
    }
  }

  /// One multi-row INSERT with `?` placeholders, so every value, a blob too, travels as a bound
  /// argument and arrives byte for byte.
  static func insert(_ rows: ArraySlice<[DatabaseValue]>, into table: String, columns: [String], _ dst: any StoreSQL) throws {
    let tuple = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
    try dst.execute(
      sql: "INSERT INTO \(quoted(table)) (\(columns.map(quoted).joined(separator: ", "))) VALUES "
        + Array(repeating: tuple, count: rows.count).joined(separator: ", "),
      arguments: Array(rows.joined()))
  }

  /// Moves each identity sequence past the copied ids: rows were inserted with their ids, which
  /// does not advance the sequence, so the next new run would otherwise collide with run 1.
  static func moveIdentities(_ dst: any StoreSQL) throws {
    let identities = try dst.fetchAll(sql: """
      SELECT table_name, column_name FROM information_schema.columns
      WHERE table_schema = current_schema() AND is_identity = 'YES' ORDER BY table_name
      """)
    for row in identities {
      let table: String = row["table_name"], column: String = row["column_name"]
      try dst.execute(
        sql: "SELECT setval(pg_get_serial_sequence(?, ?), COALESCE((SELECT MAX(\(quoted(column))) FROM \(quoted(table))), 0) + 1, false)",
        arguments: [quoted(table), column])
    }
  }

  // MARK: - The database's own description of itself

  static func tableNames(_ db: any StoreSQL) throws -> Set<String> {
    let sql =
      db.kind == .sqlite
      ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
      : "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
    return Set(try db.fetchAll(sql: sql).map { $0["name"] as String })
  }

  /// A table's columns in their order (empty when there is no such table).
  static func columnNames(_ table: String, _ db: any StoreSQL) throws -> [String] {
    let sql =
      db.kind == .sqlite
      ? "SELECT name FROM pragma_table_info(?) ORDER BY cid"
      : "SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position"
    return try db.fetchAll(sql: sql, arguments: [table]).map { $0["name"] as String }
  }

  static func primaryKey(_ table: String, _ db: any StoreSQL) throws -> [String] {
    let sql =
      db.kind == .sqlite
      ? "SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk"
      : """
        SELECT k.column_name AS name FROM information_schema.table_constraints c
        JOIN information_schema.key_column_usage k
          ON k.constraint_name = c.constraint_name AND k.table_schema = c.table_schema AND k.table_name = c.table_name
        WHERE c.constraint_type = 'PRIMARY KEY' AND c.table_schema = current_schema() AND c.table_name = ? ORDER BY k.ordinal_position
        """
    return try db.fetchAll(sql: sql, arguments: [table]).map { $0["name"] as String }
  }

  static func count(_ table: String, _ db: any StoreSQL) throws -> Int {
    try db.value(Int.self, sql: "SELECT COUNT(*) FROM \(quoted(table))") ?? 0
  }

  /// An identifier both engines read as itself (`precision` and `key` are keywords).
  static func quoted(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
}
