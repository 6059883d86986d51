import ArgumentParser

struct NetAdaptCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "netadapt", abstract: "Shrink an architecture layer by layer until it meets a latency target.")
  func run() throws { throw ValidationError("'nas netadapt' is not built yet") }
}
