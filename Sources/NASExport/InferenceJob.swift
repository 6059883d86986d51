import Foundation
import NASArch
import NASSpace
import NASSupport
import NASTrain

/// `nas infer`'s work: the training engine's forward pass on a batch of images, saving the
/// logits, feature maps and chosen units' outputs as `.npy` files: the reference an exported
/// model is compared against.
///
/// ``prepare(...)`` loads and checks everything but the images' data (the command runs it in
/// `validate()`); ``run(input:output:)`` reads the images and writes the files.
public struct InferenceJob {
  public var network: Network<Float>
  public var taps: [FeatureTap]
  public var units: [Int]
  public var inputShape: [Int]
  /// Whether the weights' network is the architecture's proxy rather than the file's.
  public var runsProxy: Bool

  /// The network the weights were trained for (or `deployment` with the standard
  /// initialisation from `seed`), its taps, and the input's header checked against it.
  public static func prepare(
    _ deployment: Architecture, file: String, weightsPath: String?, featureStrides: [Int], units: [Int], input: String, seed: UInt64,
    threads: Int
  ) throws -> InferenceJob {
    var architecture = deployment
    var weightSet: WeightSet?
    if let weightsPath {
      let set = try Safetensors.read(path: weightsPath)
      if let text = try set.trainedArchitectureText(for: deployment, file: weightsPath) {
        architecture = try DSL.parseArchitecture(text, file: "\(weightsPath) (metadata \(WeightSet.architectureTextKey))")
      }
      weightSet = set
    }
    let taps: [FeatureTap]
    do { taps = try architecture.featureTaps(strides: featureStrides) } catch { throw InferenceJobError("\(file): \(error)") }
    let network = try Network<Float>(architecture, seed: seed, threads: threads)
    if let weightSet { try network.load(weightSet) }
    let header = try NumpyArray.readHeader(path: input)
    let requested = Array(Set(units + taps.map(\.unit))).sorted()
    do { try architecture.checkInference(inputShape: header.shape, units: requested) } catch {
      if case .inputShape = error { throw InferenceJobError("\(input): \(error)") }
      throw InferenceJobError("--units: \(error)")
    }
    return InferenceJob(network: network, taps: taps, units: units, inputShape: header.shape, runsProxy: architecture != deployment)
  }

  /// Runs the images in `input` and writes `logits.npy`, one `pN.npy` per tap and one
  /// `unitK.npy` per unit to `output` (created if missing); returns each file's path and shape.
  public func run(input: String, output: String) throws -> [(path: String, shape: [Int])] {
    let images = try NumpyArray.read(path: input)
    let result = try network.infer(images, units: Array(Set(units + taps.map(\.unit))))
    do { try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true) } catch {
      throw InferenceJobError("--output \(output): cannot create the folder (\(error.localizedDescription))")
    }
    var files: [(name: String, array: NumpyArray)] = [("logits", result.logits)]
    files += taps.compactMap { tap in result.units[tap.unit].map { (tap.name, $0) } }
    files += Array(Set(units)).sorted().compactMap { unit in result.units[unit].map { ("unit\(unit)", $0) } }
    return try files.map { name, array in
      let path = URL(fileURLWithPath: output).appendingPathComponent("\(name).npy").path
      try array.write(to: path)
      return (path, array.shape)
    }
  }
}

/// Why `nas infer` cannot run: the message names the file or option at fault.
public struct InferenceJobError: Error, CustomStringConvertible, Sendable {
  public var description: String
  init(_ description: String) { self.description = description }
}
