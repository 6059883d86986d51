import ArgumentParser

struct SearchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "search", abstract: "Search a space for accurate architectures that meet a latency target.")
  func run() throws { throw ValidationError("'nas search' is not built yet") }
}
