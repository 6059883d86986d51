import ArgumentParser
import Foundation
import NASArch
import NASStore
import NASSupport

struct DBCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "db", abstract: "Query the results database (opened read-only), or copy it into a new one.",
    subcommands: [Runs.self, Top.self, Show.self, Pareto.self, Export.self, SQL.self, Copy.self])

  struct Options: ParsableArguments {
    @Option(help: "The results database.") var db = ResultsStore.defaultPath
    @Flag(help: "Print JSON.") var json = false

    func open() throws -> ResultsStore { try ResultsStore.openReadOnly(path: db) }

    func print(_ result: QueryResult) throws {
      if json {
        let keys = Self.uniqueKeys(result.columns)
        let objects = result.rows.map { row in Dictionary(uniqueKeysWithValues: zip(keys, row.map { $0 ?? "" })) }
        Swift.print(try JSONOutput.string(objects))
      } else {
        Swift.print(TextTable(headers: result.columns, rows: result.rows.map { $0.map { $0 ?? "" } }).render())
      }
    }

    /// JSON objects need distinct keys, but SQL may repeat a column name (`SELECT 1, 1`, a join's
    /// `*`): later repeats get SQLite's own suffix, `name:1`, `name:2`.
    static func uniqueKeys(_ columns: [String]) -> [String] {
      var seen = Set<String>()
      return columns.map { column in
        var key = column
        var n = 0
        while seen.contains(key) {
          n += 1
          key = "\(column):\(n)"
        }
        seen.insert(key)
        return key
      }
    }

    func run(_ body: (ResultsStore) throws -> QueryResult) throws { try print(try body(try open())) }
  }

  struct Runs: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List runs, newest first.")
    @OptionGroup var options: Options
    func run() throws { try options.run { try $0.runs() } }
  }

  struct Top: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The best evaluations.")
    @OptionGroup var options: Options
    @Option(name: .customLong("run"), parsing: .unconditional, help: "Only this run.") var runID: Int64?
    @Option(help: "reward, accuracy or latency.") var by = "reward"
    @Option(name: .short, parsing: .unconditional, help: "How many.") var n = 10
    // --by is checked by the store's query (its message is the one users see, in the tests too).
    func validate() throws { try OptionChecks.positive(n, "-n") }
    func run() throws { try options.run { try $0.top(run: runID, by: by, limit: n) } }
  }

  struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "An architecture (hash prefix) or an evaluation (id).")
    @OptionGroup var options: Options
    @Argument(help: "A hash prefix or an evaluation id.") var key: String
    func run() throws { try options.run { try $0.show(key) } }
  }

  struct Pareto: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "A run's accuracy-latency Pareto front.")
    @OptionGroup var options: Options
    @Option(name: .customLong("run"), help: "The run.") var runID: Int64
    func run() throws { try options.run { try $0.pareto(run: runID) } }
  }

  struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Every evaluation of a run as CSV or JSON.")
    @Option(help: "The results database.") var db = ResultsStore.defaultPath
    @Option(name: .customLong("run"), help: "The run.") var runID: Int64
    @Option(help: "csv or json.") var format: Format = .csv

    enum Format: String, ExpressibleByArgument { case csv, json }

    func run() throws {
      let options = try Options.parse(["--db", db] + (format == .json ? ["--json"] : []))
      let result = try options.open().evaluations(run: runID)
      if format == .json { return try options.print(result) }
      print(result.csv, terminator: "")
    }
  }

  struct SQL: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "sql", abstract: "Run a read-only SQL query; rows are printed as they come.")
    @OptionGroup var options: Options
    @Argument(help: "One SELECT statement.") var statement: String
    @Option(help: "Stop after this many rows.") var maxRows = QueryLimits.defaults.maxRows
    @Option(help: "Stop the query after this many seconds.") var maxSeconds = QueryLimits.defaults.maxSeconds

    func validate() throws {
      guard maxRows > 0 else { throw ValidationError("--max-rows must be positive, not \(maxRows)") }
      guard maxSeconds > 0, maxSeconds.isFinite else { throw ValidationError("--max-seconds must be a positive number, not \(maxSeconds)") }
    }

    func run() throws {
      let store = try options.open()
      let limits = QueryLimits(maxRows: maxRows, maxSeconds: maxSeconds)
      let output = QueryOutput(json: options.json)
      do {
        _ = try store.streamQuery(statement, limits: limits, columns: output.begin, row: output.append)
        output.end()
      } catch let error as QueryLimitError {
        // The rows so far stay readable (a closed table or JSON array) above the message.
        output.end()
        throw error
      }
    }
  }
}
