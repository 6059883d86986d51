import ArgumentParser

struct DBCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "db", abstract: "Query the results database.")
  func run() throws { throw ValidationError("'nas db' is not built yet") }
}
