import Foundation
import NASSupport

/// The `nas train` command that trains the network a NetAdapt run wrote further, from its
/// weights and with the run's data and learning settings. The written network has had only
/// `--long-epochs` of training since its last cut, and its shape can do better: on the
/// Fashion-MNIST proxy three more epochs took a halved MobileNetV2 from 0.877 to 0.899
/// (docs/netadapt.md, "Measured").
public enum FurtherTraining {
  /// Epochs the command trains for.
  public static let epochs = 3

  /// The command, one line a shell reads back as it is printed.
  public static func command(architecture: String, weights: String, settings: NetAdaptSettings) -> String {
    let suffix = ".safetensors"
    let stem = weights.hasSuffix(suffix) ? String(weights.dropLast(suffix.count)) : weights
    var words = [
      "nas", "train", architecture, "--weights", weights, "--epochs", "\(epochs)", "--lr", "\(settings.learningRate)",
      "--max-downsampling", "\(settings.maxDownsampling)",
    ]
    if settings.data != NetAdaptSettings.defaults.data { words += ["--data", settings.data] }
    if settings.batchSize != NetAdaptSettings.defaults.batchSize { words += ["--batch-size", "\(settings.batchSize)"] }
    if settings.seed != 0 { words += ["--seed", "\(settings.seed)"] }
    words += ["--save", "\(stem)-\(epochs)ep\(suffix)"]
    return words.map(ShellWord.quoted).joined(separator: " ")
  }
}
