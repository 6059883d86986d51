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
  /// SHA-256 of the file's text (line ends normalised to LF) when the space was parsed from
  /// text; nil otherwise. Not the identity (``contentHash`` is): runs recorded before the
  /// canonical text existed hold this hash, and ``SpaceIdentity`` still accepts it.
  public var sourceTextHash: String?
  // Changing anything the analysis depends on drops the cached analysis.
  public var inputSize: Choice<Int> { didSet { analysisCache = nil } }
  public var inputChannels: Int { didSet { analysisCache = nil } }
  public var classes: Int { didSet { analysisCache = nil } }
  public var width: Choice<Double> { didSet { analysisCache = nil } }
  public var resolution: Choice<Double> { didSet { analysisCache = nil } }
  public var divisor: Int { didSet { analysisCache = nil } }
  public var normalization: Normalization { didSet { analysisCache = nil } }
  public var templates: [UnitTemplate] { didSet { analysisCache = nil } }
  /// The analysis made when the file was loaded, so that asking for the size or the unit
  /// configurations afterwards does not resolve every combination again.
  var analysisCache: SpaceAnalysis?

  public init(file: String, sourceTextHash: String? = nil) {
    self.file = file
    self.sourceTextHash = sourceTextHash
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
