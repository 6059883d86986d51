import ArgumentParser

struct TrainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "train", abstract: "Proxy-train an architecture and report held-out accuracy.")
  func run() throws { throw ValidationError("'nas train' is not built yet") }
}
