import ArgumentParser

/// The `nas` command line: hardware-aware neural architecture search.
@main
struct NASCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "nas",
    abstract: "Hardware-aware neural architecture search for mobile and edge networks.",
    version: NASVersion.string,
    subcommands: [
      SpaceCommand.self, ArchCommand.self, LatencyCommand.self, BenchCommand.self, TrainCommand.self,
      ScoreCommand.self, InferCommand.self, SearchCommand.self, NetAdaptCommand.self, ExportCommand.self, DBCommand.self, EvaluateWorkerCommand.self,
    ])
}
