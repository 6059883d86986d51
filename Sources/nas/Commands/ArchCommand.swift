import ArgumentParser
import NASArch
import NASSpace
import NASSupport

struct ArchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "arch", abstract: "Show an architecture's layers, costs, canonical text and hash.",
    subcommands: [Info.self, Canon.self])

  /// The overrides take the ranges the file's `width` and `input` statements take.
  static func checkOverrides(width: Double?, resolution: Int?) throws {
    try OptionChecks.multiplier(width, "--width")
    try OptionChecks.inputSize(resolution, "--resolution")
  }

  struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Print a table of layers with shapes, MACs and parameters, and the totals.")
    @Argument(help: "An .arch file.") var file: String
    @Option(name: .long, parsing: .unconditional, help: "Override the width multiplier written in the file.")
    var width: Double?
    @Option(name: .long, parsing: .unconditional, help: "Override the input resolution written in the file.") var resolution: Int?
    @Option(help: "Feature-map strides a detector taps, e.g. 8,16,32 (shapes, channels, backbone params and GFLOPs).")
    var features: FeatureStrides?
    @Flag(help: "Print JSON (with macs, params and layers).") var json = false

    func validate() throws {
      try ArchCommand.checkOverrides(width: width, resolution: resolution)
      try features?.check()
    }

    func run() throws {
      let arch = try CLI.loadArchitecture(file, width: width, resolution: resolution)
      let report = try ArchitectureReport(arch)
      guard let features else { return print(json ? try JSONOutput.document(report) : report.table()) }
      let taps: FeatureReport
      do { taps = try FeatureReport(arch, strides: features.strides) } catch { throw CLI.Failure(description: "\(file): \(error)") }
      if json {
        print(try JSONOutput.document(ArchitectureWithFeatures(architecture: report, features: taps)))
      } else {
        print(report.table() + "\n\n" + taps.table())
      }
    }
  }

  /// `nas arch info --features … --json`: the architecture report and the detector's view.
  struct ArchitectureWithFeatures: Encodable {
    var architecture: ArchitectureReport
    var features: FeatureReport
  }

  struct Canon: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the canonical text and its hash.")
    @Argument(help: "An .arch file.") var file: String
    @Option(name: .long, parsing: .unconditional, help: "Scale by this width multiplier (written out as absolute widths).")
    var width: Double?
    @Option(name: .long, parsing: .unconditional, help: "Override the input resolution.") var resolution: Int?
    @Flag(help: "Print only the hash.") var hashOnly = false

    func validate() throws { try ArchCommand.checkOverrides(width: width, resolution: resolution) }

    func run() throws {
      let arch = try CLI.loadArchitecture(file, width: width, resolution: resolution)
      if hashOnly {
        print(arch.canonicalHash)
      } else {
        print(arch.canonicalText(), terminator: "")
        print("# hash \(arch.canonicalHash)")
      }
    }
  }
}
