import ArgumentParser

struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "bench", abstract: "Run the layer microbenchmarks that the latency predictor is fitted from.")
  func run() throws { throw ValidationError("'nas bench' is not built yet") }
}
