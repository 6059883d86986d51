import COpenBLAS
import CNASKernels

#if canImport(Glibc)
  import Glibc
#endif

/// Which OpenBLAS kernel ("core") runs the engine's matrix products, and who chose it.
///
/// Debian's OpenBLAS picks its core from the CPU model when it loads; on CPUs it does not know
/// it falls back to a generic SSE3 core (Prescott) at half the speed or less. OpenBLAS reads
/// `OPENBLAS_CORETYPE` only when it loads, so `nas` chooses at start-up: when the detected core
/// is older than the CPU's instruction set and the environment does not set the variable, it
/// runs itself again (`execve` of `/proc/self/exe`, same arguments) with the variable set, then
/// checks the new core with a small sgemm against a double-precision reference, and runs once
/// more without it when the check fails. A value the environment sets is never changed.
public struct BLASCore: Codable, Equatable, Sendable {
  /// Who chose the core that runs.
  public enum Source: String, Codable, Sendable {
    /// OpenBLAS's own detection, which matches the CPU's instruction set.
    case detected
    /// `OPENBLAS_CORETYPE` from the environment.
    case environment
    /// `nas`, over a detected core older than the CPU (`detected` says which).
    case nas
    /// OpenBLAS's own detection after the core `nas` chose failed its check (`rejected`).
    case fallback
  }

  /// The core OpenBLAS runs (`openblas_get_corename`).
  public var core: String
  public var source: Source
  /// What OpenBLAS detected, when `nas` replaced it.
  public var detected: String?
  /// The core `nas` chose and gave up, with why.
  public var rejected: String?

  /// Set in the environment by `nas` for the process it runs again: the core it chose, and
  /// what OpenBLAS had detected. `OPENBLAS_CORETYPE` equal to the first means `nas` set it.
  public static let chosenVariable = "NAS_OPENBLAS_CORETYPE"
  public static let detectedVariable = "NAS_OPENBLAS_DETECTED"
  public static let rejectedVariable = "NAS_OPENBLAS_REJECTED"
  public static let openBLASVariable = "OPENBLAS_CORETYPE"

  /// The core OpenBLAS loaded in this process.
  public static var loadedCore: String { String(cString: openblas_get_corename()) }

  /// What start-up should do.
  public enum Plan: Equatable, Sendable {
    /// Keep the loaded core; this is the report.
    case keep(BLASCore)
    /// Run again with `OPENBLAS_CORETYPE` set to this core.
    case reexec(core: String)
    /// Run again without `OPENBLAS_CORETYPE`, giving up the core `nas` chose, for this reason.
    case fallback(reason: String)
  }

  /// The decision, from the loaded core, the CPU's vector instruction set, the environment and
  /// (for a core `nas` chose) whether it passed the check.
  public static func plan(
    loaded: String, cpu: VectorISA, environment: [String: String], checkPassed: () -> Bool
  ) -> Plan {
    let set = environment[openBLASVariable].flatMap { $0.isEmpty ? nil : $0 }
    if let set, let chosen = environment[chosenVariable], chosen == set {
      guard loaded.lowercased() == chosen.lowercased() else {
        return .fallback(reason: "OpenBLAS loaded \(loaded) instead of \(chosen)")
      }
      guard checkPassed() else { return .fallback(reason: "\(chosen) failed the sgemm check against a double-precision reference") }
      return .keep(BLASCore(core: loaded, source: .nas, detected: environment[detectedVariable]))
    }
    if set != nil { return .keep(BLASCore(core: loaded, source: .environment)) }
    if let rejected = environment[rejectedVariable], !rejected.isEmpty {
      return .keep(BLASCore(core: loaded, source: .fallback, rejected: rejected))
    }
    if let target = core(for: cpu), let have = tier(of: loaded), have < tier(of: target)! {
      return .reexec(core: target)
    }
    return .keep(BLASCore(core: loaded, source: .detected))
  }

  /// The OpenBLAS core for a vector instruction set (nil: leave OpenBLAS's choice alone).
  static func core(for isa: VectorISA) -> String? {
    switch isa {
    case .avx512: return "SkylakeX"
    case .avx2: return "Haswell"
    case .baseline: return nil
    }
  }

  /// The instruction-set generation of an OpenBLAS x86-64 core: 0 SSE, 1 AVX, 2 AVX2, 3 AVX-512;
  /// nil for names this table does not know (left alone).
  static func tier(of core: String) -> Int? {
    switch core.lowercased() {
    case "katmai", "coppermine", "northwood", "prescott", "banias", "atom", "core2", "penryn", "dunnington", "nehalem",
      "athlon", "opteron", "opteron_sse3", "barcelona", "nano", "bobcat":
      return 0
    case "sandybridge", "bulldozer", "piledriver", "steamroller", "excavator": return 1
    case "haswell", "zen": return 2
    case "skylakex", "cooperlake", "sapphirerapids": return 3
    default: return nil
    }
  }

  /// Single-precision products in every transpose the engine uses, against a double reference,
  /// at shapes that reach the core's main kernel and its edges.
  public static func sgemmAgreesWithReference() -> Bool {
    for (m, n, k) in [(67, 45, 33), (96, 80, 64)] {
      for (ta, tb) in [(false, true), (true, false), (false, false)] {
        var state: UInt32 = 12345
        func next() -> Float {
          state = state &* 1_664_525 &+ 1_013_904_223
          return Float(Int(state >> 8) % 2001 - 1000) / 1000
        }
        let a = (0..<(m * k)).map { _ in next() }, b = (0..<(k * n)).map { _ in next() }
        var c = [Float](repeating: 0, count: m * n)
        let lda = ta ? m : k, ldb = tb ? k : n
        Float.gemm(transA: ta, transB: tb, m: m, n: n, k: k, alpha: 1, a: a, lda: lda, b: b, ldb: ldb, beta: 0, c: &c, ldc: n)
        for i in 0..<m {
          for j in 0..<n {
            var want = 0.0, magnitude = 0.0
            for p in 0..<k {
              let x = Double(ta ? a[p * lda + i] : a[i * lda + p]), y = Double(tb ? b[j * ldb + p] : b[p * ldb + j])
              want += x * y
              magnitude += abs(x * y)
            }
            if !(abs(Double(c[i * n + j]) - want) <= 1e-5 * max(1, magnitude)) { return false }
          }
        }
      }
    }
    return true
  }

  /// The core in use: what `select` decided, or (before it, or without it) what OpenBLAS loaded.
  public static var current: BLASCore {
    if let chosen = selected { return chosen }
    return BLASCore(core: loadedCore, source: (getenv(openBLASVariable).map { $0.pointee != 0 } ?? false) ? .environment : .detected)
  }

  // Written once by `select` at start-up, before any thread reads it.
  nonisolated(unsafe) private static var selected: BLASCore?

  /// Start-up: follows `plan`, running this program again (same pid, arguments and standard
  /// streams) when it says so. Returns only when the loaded core is the one to keep; when
  /// `execve` itself fails, the loaded core is kept and reported as detected.
  @discardableResult
  public static func select(arguments: [String], environment: [String: String]) -> BLASCore {
    let loaded = loadedCore
    var env = environment
    switch plan(loaded: loaded, cpu: EngineKernels.best, environment: environment, checkPassed: sgemmAgreesWithReference) {
    case .keep(let core):
      selected = core
      return core
    case .reexec(let core):
      env[openBLASVariable] = core
      env[chosenVariable] = core
      env[detectedVariable] = loaded
    case .fallback(let reason):
      env[rejectedVariable] = "\(env[chosenVariable] ?? "?"): \(reason)"
      env[openBLASVariable] = nil
      env[chosenVariable] = nil
    }
    execute(arguments: arguments, environment: env)
    let kept = BLASCore(core: loaded, source: .detected)
    selected = kept
    return kept
  }

  /// execve of this program's own image; returns only when that fails.
  private static func execute(arguments: [String], environment: [String: String]) {
    let argv = arguments.map { strdup($0) } + [nil]
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
      argv.forEach { free($0) }
      envp.forEach { free($0) }
    }
    _ = execve("/proc/self/exe", argv, envp)
  }
}
