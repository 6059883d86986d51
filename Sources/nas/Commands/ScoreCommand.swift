import ArgumentParser

struct ScoreCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "score", abstract: "Score an untrained architecture with a zero-cost proxy.")
  func run() throws { throw ValidationError("'nas score' is not built yet") }
}
