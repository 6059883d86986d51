import Foundation
import NASArch
import NASTrain

/// What travels with an exported network so it is fed and used as `nas` used it: the input
/// preprocessing, the architecture, and the feature maps (timm's `feature_info`).
public struct ExportMetadata: Sendable {
  public var preprocessing: Preprocessing
  public var architectureText: String
  public var architectureHash: String
  public var trained: Bool
  public var featureInfo: [FeatureInfo]

  /// One feature map, as timm describes it.
  public struct FeatureInfo: Codable, Sendable, Equatable {
    public var name: String
    public var numChs: Int
    public var reduction: Int
    public var unit: Int

    enum CodingKeys: String, CodingKey {
      case name
      case numChs = "num_chs"
      case reduction
      case unit
    }
  }

  public init(source: ExportSource, taps: [FeatureTap]) {
    preprocessing = source.preprocessing
    architectureText = source.architecture.canonicalText()
    architectureHash = source.architecture.canonicalHash
    trained = source.trained
    featureInfo = taps.map { FeatureInfo(name: $0.name, numChs: $0.shape.channels, reduction: $0.stride, unit: $0.unit) }
  }

  /// Key–value pairs for ONNX's `metadata_props` (JSON values where a value is structured).
  public var properties: [(String, String)] {
    [
      ("nas.architecture", architectureText),
      ("nas.architecture_hash", architectureHash),
      ("nas.weights", trained ? "trained" : "initialised"),
      ("nas.preprocessing", Self.json(PreprocessingRecord(preprocessing))),
      ("nas.feature_info", Self.json(featureInfo)),
    ]
  }

  /// The preprocessing with the formula spelled out for a reader of the metadata.
  struct PreprocessingRecord: Encodable {
    var formula = "input = (pixel * scale - mean) / std, per channel, NCHW"
    var scale: Double
    var mean: [Double]
    var std: [Double]
    var inputSize: Int

    init(_ p: Preprocessing) {
      scale = p.scale
      mean = p.mean
      std = p.std
      inputSize = p.inputSize
    }

    enum CodingKeys: String, CodingKey {
      case formula, scale, mean, std
      case inputSize = "input_size"
    }
  }

  static func json<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
  }
}
