import ArgumentParser

struct SpaceCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "space", abstract: "Validate, show and sample search spaces.")
  func run() throws { throw ValidationError("'nas space' is not built yet") }
}
