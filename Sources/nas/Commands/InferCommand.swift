import ArgumentParser
import Foundation
import NASArch
import NASSpace
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

  /// Everything the run needs, checked: the network to run (with its weights loaded), the
  /// feature taps and the shape of the input.
  struct Plan {
    var network: Network<Float>
    var taps: [FeatureTap]
    var units: [Int]
    var inputShape: [Int]
    /// Whether the weights' network is the architecture's proxy rather than the file's.
    var runsProxy: Bool
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
    _ = try plan()
  }

  /// Loads and checks the architecture, the weights and the input's header (not its data).
  func plan() throws -> Plan {
    let deployment = try CLI.loadArchitecture(file, width: width, resolution: resolution)
    var architecture = deployment
    var weightSet: WeightSet?
    do {
      if let weights {
        let set = try Safetensors.read(path: weights)
        if let text = try set.trainedArchitectureText(for: deployment, file: weights) {
          architecture = try DSL.parseArchitecture(text, file: "\(weights) (metadata \(WeightSet.architectureTextKey))")
        }
        weightSet = set
      }
    } catch let error as CustomStringConvertible {
      throw CLI.Failure(description: error.description)
    }
    let taps: [FeatureTap]
    do { taps = try architecture.featureTaps(strides: features?.strides ?? []) } catch {
      throw CLI.Failure(description: "\(file): \(error)")
    }
    do {
      let network = try Network<Float>(architecture, seed: seed ?? 0, threads: threads)
      if let weightSet { try network.load(weightSet) }
      let header = try NumpyArray.readHeader(path: input)
      let requested = Array(Set((units?.indices ?? []) + taps.map(\.unit))).sorted()
      do { try architecture.checkInference(inputShape: header.shape, units: requested) } catch {
        if case .inputShape = error { throw CLI.Failure(description: "\(input): \(error)") }
        throw CLI.Failure(description: "--units: \(error)")
      }
      return Plan(network: network, taps: taps, units: units?.indices ?? [], inputShape: header.shape, runsProxy: architecture != deployment)
    } catch let error as CustomStringConvertible {
      throw CLI.Failure(description: error.description)
    }
  }

  func run() throws {
    let plan = try plan()
    if plan.runsProxy {
      let a = plan.network.architecture
      print("running the network the weights were trained for: \(a.name ?? "proxy") \(a.shortHash) (\(a.inputShape), \(a.classes) classes)")
    }
    let result: InferenceResult
    do {
      let images = try NumpyArray.read(path: input)
      result = try plan.network.infer(images, units: Array(Set(plan.units + plan.taps.map(\.unit))))
    } catch let error as CustomStringConvertible {
      throw CLI.Failure(description: error.description)
    }
    do { try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true) } catch {
      throw CLI.Failure(description: "--output \(output): cannot create the folder (\(error.localizedDescription))")
    }
    var files: [(name: String, array: NumpyArray)] = [("logits", result.logits)]
    files += plan.taps.map { ($0.name, result.units[$0.unit]!) }
    files += Array(Set(plan.units)).sorted().map { ("unit\($0)", result.units[$0]!) }
    for (name, array) in files {
      let path = URL(fileURLWithPath: output).appendingPathComponent("\(name).npy").path
      do { try array.write(to: path) } catch { throw CLI.Failure(description: error.description) }
      print("wrote \(path) [\(array.shape.map(String.init).joined(separator: ", "))]")
    }
  }
}
