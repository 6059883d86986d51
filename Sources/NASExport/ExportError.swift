import NASArch

/// Why a network cannot be exported.
public enum ExportError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The architecture does not place (bad shapes, a misplaced classifier).
  case architecture(String)
  /// The weights were trained for another architecture than the one named.
  case weightsForAnotherArchitecture(file: String, weights: String, architecture: String)
  /// The weights do not fit the network (a tensor missing, of the wrong shape, or left over).
  case weights(file: String, reason: String)
  /// A requested feature stride the network lacks, or one that is not a power of two.
  case features(String)

  public var description: String {
    switch self {
    case .architecture(let m):
      return "the architecture cannot be exported: \(m)"
    case .weightsForAnotherArchitecture(let file, let weights, let architecture):
      return "\(file): these weights were trained for \(weights), not for \(architecture) or its proxy; export the architecture they belong to, or pass its own weights"
    case .weights(let file, let reason):
      return "\(file): \(reason)"
    case .features(let m):
      return m
    }
  }
}
