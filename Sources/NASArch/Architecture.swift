/// A concrete network: input, classes and an ordered list of units, every choice fixed.
///
/// This is what an `.arch` file describes once parsed, what a search space samples, what
/// NetAdapt shrinks, and what the results store keys by ``canonicalHash``.
public struct Architecture: Hashable, Codable, Sendable {
  /// A display name; not part of the identity (canonical hash).
  public var name: String?
  public var inputSize: Int
  public var inputChannels: Int
  public var classes: Int
  public var units: [Unit]

  public init(name: String? = nil, inputSize: Int, inputChannels: Int = 3, classes: Int, units: [Unit]) {
    self.name = name
    self.inputSize = inputSize
    self.inputChannels = inputChannels
    self.classes = classes
    self.units = units
  }

  public var inputShape: Shape { Shape(square: inputSize, channels: inputChannels) }
}

/// What is wrong with an architecture's shapes.
public enum ArchitectureError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The spatial size fell below 1 at a unit.
  case resolutionCollapsed(unit: Int, input: Shape, stride: Int)
  /// An identity residual was asked for where the stride is not 1 or channels change.
  case residualAcrossShapeChange(unit: Int, input: Shape, output: Shape)
  /// A layer cannot take its input (for example a classifier before pooling).
  case incompatibleInput(unit: Int, input: Shape, what: String)
  /// A numeric setting is out of range.
  case invalidValue(unit: Int?, what: String)
  /// The architecture has no classifier, or one that is not last.
  case misplacedClassifier

  public var unitIndex: Int? {
    switch self {
    case .resolutionCollapsed(let u, _, _), .residualAcrossShapeChange(let u, _, _), .incompatibleInput(let u, _, _):
      return u
    case .invalidValue(let u, _): return u
    case .misplacedClassifier: return nil
    }
  }

  public var description: String {
    (unitIndex.map { "unit \($0): " } ?? "") + detail
  }

  /// The problem without the unit number, for messages that point at a source line instead.
  public var detail: String {
    switch self {
    case .resolutionCollapsed(_, let input, let stride):
      return "resolution collapses below 1 (input \(input), stride \(stride)); use a larger input or fewer strided layers"
    case .residualAcrossShapeChange(_, let input, let output):
      return "identity skip needs stride 1 and equal channels, but the unit maps \(input) to \(output); use skip=none"
    case .incompatibleInput(_, let input, let what):
      return "\(what) cannot take input \(input)"
    case .invalidValue(_, let what):
      return what
    case .misplacedClassifier:
      return "the network must end with exactly one classifier"
    }
  }
}
