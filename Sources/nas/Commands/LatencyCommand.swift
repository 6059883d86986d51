import ArgumentParser

struct LatencyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "latency", abstract: "Measure, fit, predict and validate latency on this device.")
  func run() throws { throw ValidationError("'nas latency' is not built yet") }
}
