import ArgumentParser
import Foundation
import NASTrain

/// The `nas` command line: hardware-aware neural architecture search.
@main
struct NASCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "nas",
    abstract: "Hardware-aware neural architecture search for mobile and edge networks.",
    version: NASVersion.string,
    subcommands: [
      SpaceCommand.self, ArchCommand.self, LatencyCommand.self, BenchCommand.self, TrainCommand.self,
      ScoreCommand.self, InferCommand.self, SearchCommand.self, NetAdaptCommand.self, ExportCommand.self, ReportCommand.self, DBCommand.self, WorkerCommand.self, EvaluateWorkerCommand.self,
    ])

  /// Chooses the training engine's kernels before any command runs: the OpenBLAS core (which
  /// may run this program again with OPENBLAS_CORETYPE set; see BLASCore), then `NAS_KERNELS`.
  static func main() {
    let environment = ProcessInfo.processInfo.environment
    BLASCore.select(arguments: CommandLine.arguments, environment: environment)
    do {
      try EngineKernels.selectFromEnvironment(environment)
    } catch {
      FileHandleWriter.writeStderr("Error: \(error)\n")
      Foundation.exit(64)
    }
    Self.main(nil)
  }
}
