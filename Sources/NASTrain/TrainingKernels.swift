/// What runs a training step in this process: the OpenBLAS core for matrix products and the
/// instruction set of the engine's own kernels. Reported by `nas train` and the benchmarks.
public struct TrainingKernels: Codable, Equatable, Sendable {
  public var blas: BLASCore
  /// `baseline`, `avx2` or `avx512`.
  public var vector: String

  public static var current: TrainingKernels {
    TrainingKernels(blas: BLASCore.current, vector: EngineKernels.selected.description)
  }

  /// One line for people: `OpenBLAS SkylakeX (chosen by nas over Prescott), engine kernels avx512`.
  public var summary: String {
    var origin: String
    switch blas.source {
    case .detected: origin = "detected by OpenBLAS"
    case .environment: origin = "from OPENBLAS_CORETYPE"
    case .nas: origin = "chosen by nas over \(blas.detected ?? "the detected core")"
    case .fallback: origin = "detected by OpenBLAS; nas's choice failed: \(blas.rejected ?? "")"
    }
    return "OpenBLAS \(blas.core) (\(origin)), engine kernels \(vector)"
  }
}
