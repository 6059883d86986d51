import COpenBLAS

#if canImport(Glibc)
  import Glibc
#endif

/// The element type of a network: `Float` for training, `Double` for gradient checks and for
/// synflow (whose products of absolute weights overflow single precision in deep networks).
///
/// Every kernel is generic over this protocol; matrix products go to OpenBLAS (`sgemm`/`dgemm`).
public protocol TrainScalar: BinaryFloatingPoint, SIMDScalar, Codable, Sendable, DispatchedKernels {
  /// The safetensors dtype name (`F32`, `F64`).
  static var dtypeName: String { get }
  /// Row-major C = alpha·op(A)·op(B) + beta·C with op(A) m×k and op(B) k×n.
  static func gemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int,
    b: UnsafePointer<Self>, ldb: Int, beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
  static func exponential(_ x: Self) -> Self
  static func errorFunction(_ x: Self) -> Self
  static func logarithm(_ x: Self) -> Self
  init(_ value: Double)
}

extension Float: TrainScalar {
  public static var dtypeName: String { "F32" }
  @inline(__always)
  public static func gemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    guard m > 0, n > 0 else { return }
    cblas_sgemm(
      CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, blasint(m), blasint(n),
      blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
  }
  @inline(__always) public static func exponential(_ x: Float) -> Float { Glibc.expf(x) }
  @inline(__always) public static func errorFunction(_ x: Float) -> Float { Glibc.erff(x) }
  @inline(__always) public static func logarithm(_ x: Float) -> Float { Glibc.logf(x) }
}

extension Double: TrainScalar {
  public static var dtypeName: String { "F64" }
  @inline(__always)
  public static func gemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
    b: UnsafePointer<Double>, ldb: Int, beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
  ) {
    guard m > 0, n > 0 else { return }
    cblas_dgemm(
      CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, blasint(m), blasint(n),
      blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
  }
  @inline(__always) public static func exponential(_ x: Double) -> Double { Glibc.exp(x) }
  @inline(__always) public static func errorFunction(_ x: Double) -> Double { Glibc.erf(x) }
  @inline(__always) public static func logarithm(_ x: Double) -> Double { Glibc.log(x) }
}

/// OpenBLAS's own thread pool, which the engine sets to one thread when it splits work itself.
public enum BLASThreads {
  public static func set(_ n: Int) { openblas_set_num_threads(Int32(max(1, n))) }
  public static var current: Int { Int(openblas_get_num_threads()) }
  /// The kernel OpenBLAS chose for this CPU (for example `Haswell`, `Zen`, `SkylakeX`).
  public static var coreName: String { String(cString: openblas_get_corename()) }
  public static var configuration: String { String(cString: openblas_get_config()) }
}
