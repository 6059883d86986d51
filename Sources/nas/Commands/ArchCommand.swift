import ArgumentParser

struct ArchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "arch", abstract: "Show an architecture's layers, costs, canonical text and hash.")
  func run() throws { throw ValidationError("'nas arch' is not built yet") }
}
