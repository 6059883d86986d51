import Foundation
import NASArch
import NASSupport
import NASTrain

/// The formats a network leaves `nas` in.
public enum ExportFormat: String, CaseIterable, Sendable {
  /// An ONNX model (opset 17) for onnxruntime, TensorRT, OpenVINO and converters.
  case onnx
  /// One self-contained `.py` file with an `nn.Module` whose names match the safetensors files.
  case pytorch
}

/// `nas export`: the network (initialised, or with trained weights) written in a format other
/// tools read, to a path written through ``OutputFile``.
public enum Exporter {
  /// Exports `architecture` (with the weights in `weightsPath`, when given) and writes the file.
  /// Returns what was exported, for the command's summary.
  @discardableResult
  public static func export(
    _ architecture: Architecture, weightsPath: String?, format: ExportFormat, options: ExportOptions, to path: String
  ) throws -> ExportSource {
    let source: ExportSource
    if let weightsPath {
      let weights: WeightSet
      do { weights = try Safetensors.read(path: weightsPath) } catch { throw ExportError.weights(file: weightsPath, reason: error.description) }
      source = try ExportSource.trained(architecture, weights: weights, file: weightsPath)
    } else {
      source = try ExportSource.initialised(architecture)
    }
    let data: Data
    switch format {
    case .onnx: data = try ONNXExporter.export(source, options: options)
    case .pytorch: data = Data(try PyTorchExporter.export(source, options: options).utf8)
    }
    try OutputFile.write(data, to: path)
    return source
  }
}
