import NASArch
import NASSpace
import NASTrain

/// What is exported: an architecture, its tensors in PyTorch layout under the names
/// `nas train --save` writes, and the input preprocessing they expect.
///
/// Without weights it is the deployment network with the training engine's standard
/// initialisation (for training elsewhere). With weights it is the network they were trained
/// for: the architecture itself, or its proxy (a proxy has the data set's input channels and
/// classes, which the safetensors metadata records).
public struct ExportSource: Sendable {
  public var architecture: Architecture
  public var weights: WeightSet
  public var preprocessing: Preprocessing
  /// Whether the tensors are trained ones (from a file) rather than the initialisation.
  public var trained: Bool

  /// The deployment network, initialised as the training engine initialises it from `seed`.
  public static func initialised(_ architecture: Architecture, seed: UInt64 = 0) throws(ExportError) -> ExportSource {
    let network: Network<Float>
    do { network = try Network<Float>(architecture, seed: seed, threads: 1) } catch { throw .architecture(error.description) }
    return ExportSource(
      architecture: architecture, weights: network.weights(),
      preprocessing: .imageNet(inputSize: architecture.inputSize, channels: architecture.inputChannels), trained: false)
  }

  /// The network `weights` (read from `file`) were trained for, which must be `architecture`
  /// or its proxy; the tensors are checked against it.
  public static func trained(_ architecture: Architecture, weights: WeightSet, file: String) throws(ExportError) -> ExportSource {
    let recordedText: String?
    do { recordedText = try weights.trainedArchitectureText(for: architecture, file: file) } catch {
      guard case .weightsForAnotherArchitecture(let file, let weights, let architecture) = error else {
        throw .weights(file: file, reason: error.description)
      }
      throw .weightsForAnotherArchitecture(file: file, weights: weights, architecture: architecture)
    }
    var target = architecture
    if let recordedText {
      do { target = try DSL.parseArchitecture(recordedText, file: "\(file) (metadata)") } catch {
        throw .weights(file: file, reason: "the architecture recorded in the file does not parse: \(error.description)")
      }
    }
    do { try Network<Float>(target, threads: 1).load(weights) } catch { throw .weights(file: file, reason: error.description) }
    let preprocessing = weights.preprocessing ?? .imageNet(inputSize: target.inputSize, channels: target.inputChannels)
    return ExportSource(architecture: target, weights: weights, preprocessing: preprocessing, trained: true)
  }

  /// The tensor called `name`.
  func tensor(_ name: String) throws(ExportError) -> NamedTensor {
    guard let t = weights[name] else { throw .weights(file: "the weights", reason: "tensor \(name) is missing") }
    return t
  }
}
