/// What went wrong building, training or loading a network.
public enum TrainError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The architecture does not describe a valid network.
  case invalidArchitecture(String)
  /// Weights were made for another architecture, or do not fit this one.
  case weightsMismatch(String)
  /// A weights file is unreadable or not valid safetensors.
  case badWeightsFile(path: String, reason: String)
  /// A setting is out of range.
  case invalidSetting(String)
  /// Training diverged (the loss became NaN or infinite).
  case diverged(step: Int, loss: Double)

  public var description: String {
    switch self {
    case .invalidArchitecture(let s): return "invalid architecture: \(s)"
    case .weightsMismatch(let s): return "weights do not fit: \(s)"
    case .badWeightsFile(let path, let reason): return "\(path): \(reason)"
    case .invalidSetting(let s): return "invalid setting: \(s)"
    case .diverged(let step, let loss):
      return "training diverged at step \(step) (loss \(loss)); try a lower --lr or a smaller batch"
    }
  }
}
