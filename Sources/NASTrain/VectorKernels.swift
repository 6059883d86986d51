import CNASKernels

/// The instruction sets the engine's own kernels (depthwise convolution, batch norm,
/// activations, per-channel sums) are compiled for; one is chosen at run time.
public enum VectorISA: Int, CaseIterable, Comparable, Sendable, CustomStringConvertible {
  /// The target's baseline (SSE2 on x86-64): runs on every CPU.
  case baseline = 0
  /// AVX2 with FMA (256-bit vectors).
  case avx2 = 1
  /// AVX-512 F, BW, DQ and VL (512-bit vectors).
  case avx512 = 2

  public var description: String {
    switch self {
    case .baseline: return "baseline"
    case .avx2: return "avx2"
    case .avx512: return "avx512"
    }
  }

  public init?(name: String) {
    guard let isa = Self.allCases.first(where: { $0.description == name }) else { return nil }
    self = isa
  }

  public static func < (a: VectorISA, b: VectorISA) -> Bool { a.rawValue < b.rawValue }
}

/// Which compiled variant of the engine's kernels runs. The best one the CPU supports is used
/// unless `select` (or `NAS_KERNELS` through `selectFromEnvironment`) chose another.
public enum EngineKernels {
  /// The environment variable that picks an instruction set (`baseline`, `avx2`, `avx512`).
  public static let environmentVariable = "NAS_KERNELS"

  /// The best instruction set this CPU and its operating system support.
  public static var best: VectorISA { VectorISA(rawValue: Int(nas_kernels_best_isa().rawValue)) ?? .baseline }
  /// Every instruction set this machine can run, baseline first.
  public static var available: [VectorISA] { VectorISA.allCases.filter { $0 <= best } }
  /// The instruction set in use.
  public static var selected: VectorISA { VectorISA(rawValue: Int(nas_kernels_selected().rawValue)) ?? .baseline }

  /// Uses `isa` from now on, for every network in the process.
  public static func select(_ isa: VectorISA) throws(TrainError) {
    guard nas_kernels_select(nas_isa(rawValue: UInt32(isa.rawValue))) == 0 else {
      throw .invalidSetting(
        "this CPU cannot run the \(isa) kernels (it supports \(available.map(\.description).joined(separator: ", ")))")
    }
  }

  /// Applies `NAS_KERNELS` when the environment sets it.
  public static func selectFromEnvironment(_ environment: [String: String]) throws(TrainError) {
    guard let name = environment[environmentVariable], !name.isEmpty else { return }
    guard let isa = VectorISA(name: name) else {
      throw .invalidSetting(
        "\(environmentVariable)=\(name) is not one of \(VectorISA.allCases.map(\.description).joined(separator: ", "))")
    }
    try select(isa)
  }
}
