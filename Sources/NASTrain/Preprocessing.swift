import Foundation

/// How 8-bit images become a network's input, per channel: `x = (pixel × scale − mean) / std`,
/// at `inputSize` × `inputSize`. Saved weights carry it in their metadata so that a network
/// exported with them is fed exactly as `nas` fed it.
public struct Preprocessing: Codable, Hashable, Sendable {
  /// Multiplies the raw pixel first (1/255: pixels become [0, 1]).
  public var scale: Double
  public var mean: [Double]
  public var std: [Double]
  public var inputSize: Int

  public init(scale: Double = 1.0 / 255, mean: [Double], std: [Double], inputSize: Int) {
    self.scale = scale
    self.mean = mean
    self.std = std
    self.inputSize = inputSize
  }

  /// ImageNet's statistics as torchvision's MobileNets use them, for a deployment network
  /// that has no trained weights yet.
  public static func imageNet(inputSize: Int, channels: Int) -> Preprocessing {
    channels == 3
      ? Preprocessing(mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], inputSize: inputSize)
      : Preprocessing(mean: Array(repeating: 0.5, count: channels), std: Array(repeating: 0.5, count: channels), inputSize: inputSize)
  }

  static let scaleKey = "nas.input_scale"
  static let meanKey = "nas.input_mean"
  static let stdKey = "nas.input_std"
  static let sizeKey = "nas.input_size"
}

extension Dataset {
  /// The normalisation batches of this data set get (its training split's statistics).
  public var preprocessing: Preprocessing { Preprocessing(mean: mean, std: std, inputSize: height) }
}

extension WeightSet {
  /// The input normalisation the weights were trained with, when the file records it.
  public var preprocessing: Preprocessing? {
    get {
      func list(_ key: String) -> [Double]? {
        metadata[key].flatMap { try? JSONDecoder().decode([Double].self, from: Data($0.utf8)) }
      }
      guard let scale = metadata[Preprocessing.scaleKey].flatMap(Double.init), let mean = list(Preprocessing.meanKey),
        let std = list(Preprocessing.stdKey), let size = metadata[Preprocessing.sizeKey].flatMap(Int.init), mean.count == std.count
      else { return nil }
      return Preprocessing(scale: scale, mean: mean, std: std, inputSize: size)
    }
    set {
      guard let p = newValue else {
        for key in [Preprocessing.scaleKey, Preprocessing.meanKey, Preprocessing.stdKey, Preprocessing.sizeKey] { metadata[key] = nil }
        return
      }
      func text(_ values: [Double]) -> String { "[" + values.map { "\($0)" }.joined(separator: ",") + "]" }
      metadata[Preprocessing.scaleKey] = "\(p.scale)"
      metadata[Preprocessing.meanKey] = text(p.mean)
      metadata[Preprocessing.stdKey] = text(p.std)
      metadata[Preprocessing.sizeKey] = "\(p.inputSize)"
    }
  }
}
