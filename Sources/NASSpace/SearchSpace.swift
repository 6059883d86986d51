import NASArch
import NASSupport

/// A search space (or, with every choice fixed, an architecture) as written in the DSL.
///
/// Holds the global settings and one ``UnitTemplate`` per statement. ``decisions`` flattens
/// its alternatives into a list of categorical choices, which is how samplers and search
/// strategies address it; ``architecture(for:)`` resolves one assignment into a concrete
/// ``Architecture``.
public struct SearchSpace: Sendable {
  public var name: String?
  public var file: String
  /// SHA-256 of the file's text, recorded with runs.
  public var sourceHash: String
  public var inputSize: Choice<Int>
  public var inputChannels: Int
  public var classes: Int
  public var width: Choice<Double>
  public var resolution: Choice<Double>
  public var divisor: Int
  public var normalization: Normalization
  public var templates: [UnitTemplate]

  public init(file: String, sourceHash: String) {
    self.file = file
    self.sourceHash = sourceHash
    name = nil
    inputSize = .fixed(224)
    inputChannels = 3
    classes = 1000
    width = .fixed(1)
    resolution = .fixed(1)
    divisor = 8
    normalization = .batchNorm
    templates = []
  }

  /// True when no parameter has alternatives: the space is one architecture.
  public var isFixed: Bool { decisions.isEmpty }
}

/// The global settings in force while resolving one architecture.
struct ResolvedGlobals: Hashable {
  var inputSize: Int
  var width: Double
}
