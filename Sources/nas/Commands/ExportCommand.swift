import ArgumentParser
import NASArch
import NASExport
import NASSupport

extension ExportFormat: ExpressibleByArgument {}

/// `nas export`: a found network out of `nas`, as ONNX or as a PyTorch module.
struct ExportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract: "Write an architecture (and its trained weights) as ONNX or as a PyTorch module.",
    discussion: """
      Without --weights the deployment network is written with the training engine's standard \
      initialisation, for training elsewhere. With --weights (safetensors from nas train or nas \
      netadapt) the network those weights were trained for is written: the architecture itself, \
      or its proxy (the data set's input channels and classes). The input preprocessing the \
      weights expect and the feature maps travel with the model (ONNX metadata_props; \
      PREPROCESSING and feature_info in the .py). The .py holds no tensors: load the safetensors \
      file into it. See docs/export.md.
      """)

  @Argument(help: "The architecture (.arch).") var file: String
  @Option(help: "onnx (a model file for onnxruntime and converters) or pytorch (a .py file with an nn.Module).")
  var format: ExportFormat = .onnx
  @Option(help: "The file to write.") var out: String
  @Option(help: "Trained weights (safetensors from nas train or nas netadapt).") var weights: String?
  @Option(help: "Feature maps at these strides (e.g. 8,16,32 → p3, p4, p5): the ONNX outputs instead of the logits; the .py's feature_info (default: every stride).")
  var features: FeatureStrides?
  @Option(name: .long, parsing: .unconditional, help: "Override the width multiplier written in the file.") var width: Double?
  @Option(name: .long, parsing: .unconditional, help: "Override the input resolution written in the file.") var resolution: Int?
  @Flag(help: "Keep batch norm as its own operation instead of folding it into the convolutions.") var keepBn = false

  func validate() throws {
    try ArchCommand.checkOverrides(width: width, resolution: resolution)
    try features?.check()
    if keepBn, format != .onnx {
      throw ValidationError("--keep-bn applies to --format onnx; the PyTorch module always has its batch norm layers")
    }
    try OptionChecks.inputFile(file, "FILE")
    try OptionChecks.inputFile(weights, "--weights")
    try OptionChecks.outputFile(out, "--out")
  }

  func run() throws {
    let arch = try CLI.loadArchitecture(file, width: width, resolution: resolution)
    let options = ExportOptions(featureStrides: features?.strides ?? [], keepBatchNorm: keepBn, toolVersion: NASVersion.string)
    let source = try Exporter.export(arch, weightsPath: weights, format: format, options: options, to: out)
    let a = source.architecture
    let what = source.trained ? "trained weights" : "initialised weights"
    let outputs = features.map { $0.strides.map { "stride \($0)" }.joined(separator: ", ") } ?? "logits"
    print("\(out): \(a.name ?? "architecture") \(a.shortHash), input \(a.inputChannels)×\(a.inputSize)×\(a.inputSize), \(what), outputs \(outputs)")
  }
}
