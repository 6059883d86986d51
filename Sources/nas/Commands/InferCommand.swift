import ArgumentParser
import NASArch
import NASExport
import NASSupport
import NASTrain

/// `nas infer`: the engine's own forward pass on a batch of images, the reference an ONNX or
/// PyTorch export is compared against.
struct InferCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "infer",
    abstract: "Run a network in inference mode on images (.npy) and save its logits and feature maps (.npy).",
    discussion: """
      Reads float32 images [N, C, H, W] (channels first, as PyTorch and ONNX take them), runs the \
      training engine in inference mode (batch norm with running statistics, no dropout) and writes \
      logits.npy [N, classes], one pN.npy [N, C, H, W] per --features stride and one unitK.npy \
      per --units index to the output folder. Without --weights the network has the engine's \
      standard initialisation from --seed (what Network(arch, seed:) and nas export give); weights \
      saved for the architecture's proxy run the proxy they were trained for.
      """)

  @Argument(help: "An .arch file.") var file: String
  @Option(help: "Weights (safetensors) saved for this architecture or its proxy.") var weights: String?
  @Option(help: "Images as an .npy file of float32 [N, C, H, W].") var input: String
  @Option(help: "Folder for the .npy outputs (created if missing).") var output: String
  @Option(help: "Also save these units' outputs, e.g. 3,7 (indices as nas arch info numbers units).") var units: UnitIndices?
  @Option(help: "Also save the feature maps at these strides, e.g. 8,16,32 (p3.npy, p4.npy, p5.npy).")
  var features: FeatureStrides?
  @Option(name: .long, parsing: .unconditional, help: "Override the width multiplier written in the file.") var width: Double?
  @Option(name: .long, parsing: .unconditional, help: "Override the input resolution written in the file.") var resolution: Int?
  @Option(parsing: .unconditional, help: "Threads.") var threads = 2
  @Option(parsing: .unconditional, help: "Seed of the standard initialisation (default 0; not with --weights).") var seed: UInt64?

  /// `--units 3,7`: unit indices, as `nas arch info` numbers them.
  struct UnitIndices: ExpressibleByArgument, Sendable {
    var indices: [Int]

    init?(argument: String) {
      let parts = argument.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
      guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else { return nil }
      indices = parts.map { $0! }
    }
  }

  func validate() throws {
    try ArchCommand.checkOverrides(width: width, resolution: resolution)
    try OptionChecks.positive(threads, "--threads")
    try features?.check()
    if let bad = units?.indices.first(where: { $0 < 0 }) { throw ValidationError("--units takes unit indices (0 or more), not \(bad)") }
    if weights != nil, seed != nil {
      throw ValidationError("--seed draws the standard initialisation, which --weights replaces; give one of them")
    }
    try OptionChecks.inputFile(input, "--input")
    try OptionChecks.inputFile(weights, "--weights")
    try OptionChecks.outputFolder(output, "--output")
    _ = try job()
  }

  /// Loads and checks the architecture, the weights and the input's header (not its data).
  func job() throws -> InferenceJob {
    try InferenceJob.prepare(
      try CLI.loadArchitecture(file, width: width, resolution: resolution), file: file, weightsPath: weights,
      featureStrides: features?.strides ?? [], units: units?.indices ?? [], input: input, seed: seed ?? 0, threads: threads)
  }

  func run() throws {
    let job = try job()
    if job.runsProxy {
      let a = job.network.architecture
      print("running the network the weights were trained for: \(a.name ?? "proxy") \(a.shortHash) (\(a.inputShape), \(a.classes) classes)")
    }
    for (path, shape) in try job.run(input: input, output: output) {
      print("wrote \(path) [\(shape.map(String.init).joined(separator: ", "))]")
    }
  }
}
