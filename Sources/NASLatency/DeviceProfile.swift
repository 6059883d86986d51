import Foundation
import NASStore
import NASSupport

/// The device a latency table belongs to: samples only predict for the profile they were
/// measured under (CPU, threads, kernels library and its version, precision).
///
/// The CPU is named by its model string and, since that string can be as vague as "AMD EPYC",
/// by its ``CPUIdentity`` (family, model, stepping, and the instruction-set extensions that
/// select XNNPACK's kernels): two hosts with the same model string ran XNNPACK 2× apart.
/// Profiles stored before the identity was recorded have `cpu` nil and keep the id they had.
public struct DeviceProfile: Codable, Sendable, Hashable {
  public var cpuModel: String
  public var cores: Int
  public var threads: Int
  public var backend: String
  public var backendVersion: String
  public var precision: String
  /// Nil for a profile measured (or imported) before the CPU identity was recorded.
  public var cpu: CPUIdentity?

  public init(
    cpuModel: String, cores: Int, threads: Int, backend: String, backendVersion: String, precision: String, cpu: CPUIdentity? = nil
  ) {
    self.cpuModel = cpuModel
    self.cores = cores
    self.threads = threads
    self.backend = backend
    self.backendVersion = backendVersion
    self.precision = precision
    self.cpu = cpu
  }

  /// A stable short id: the first 12 hex digits of the SHA-256 of the fields. Without a CPU
  /// identity the hashed text is exactly the one older versions hashed, so an old profile keeps
  /// its id (and its tables); with one, any difference in family, model, stepping or kernel
  /// flags gives another id.
  public var id: String {
    var fields = [cpuModel, "\(cores)", "\(threads)", backend, backendVersion, precision]
    if let cpu { fields += cpu.hashedFields }
    return String(SHA256.hex(fields.joined(separator: "\n")).prefix(12))
  }

  /// Whether the profile says which CPU it is beyond the model string.
  public var identityKnown: Bool { cpu != nil }

  /// What `nas latency profiles` and messages print for the CPU: the identity, or that it is unknown.
  public var identityText: String {
    cpu?.text ?? "identity unknown: measured before CPU family and flags were recorded"
  }

  /// `AMD EPYC (family 25 model 17 stepping 1; avx f16c fma avx2 ...), 2 cores, 1 thread, xnnpack 0.0~git20220216.ae108ef-2, fp32`
  public var summary: String {
    "\(cpuModel) (\(identityText)), \(cores) cores, \(threads) thread\(threads == 1 ? "" : "s"), \(backend) \(backendVersion), \(precision)"
  }

  /// This machine running XNNPACK in float32 with `threads` threads.
  public static func current(threads: Int) -> DeviceProfile {
    DeviceProfile(
      cpuModel: cpuModelName(), cores: ProcessInfo.processInfo.activeProcessorCount, threads: max(1, threads),
      backend: "xnnpack", backendVersion: XNNPACKLibrary.version, precision: "fp32", cpu: CPUIdentity.current)
  }

  /// The CPU model from /proc/cpuinfo ("model name"), or "unknown CPU".
  public static func cpuModelName() -> String {
    guard let text = CPUIdentity.cpuinfo else { return "unknown CPU" }
    return CPUIdentity.field("model name", in: text) ?? "unknown CPU"
  }

  /// The database row of this profile.
  public var record: LatencyProfileRecord {
    LatencyProfileRecord(
      id: id, cpuModel: cpuModel, cores: cores, threads: threads, backend: backend, backendVersion: backendVersion, precision: precision,
      cpuFamily: cpu?.family, cpuModelNumber: cpu?.model, cpuStepping: cpu?.stepping, cpuFlags: cpu.map { $0.flags.joined(separator: " ") })
  }

  /// The profile a database row describes (`cpu` nil when the row has no flags recorded).
  public init(record r: LatencyProfileRecord) {
    let cpu = r.cpuFlags.map { flags in
      CPUIdentity(family: r.cpuFamily, model: r.cpuModelNumber, stepping: r.cpuStepping, flags: flags.split(separator: " ").map(String.init))
    }
    self.init(
      cpuModel: r.cpuModel, cores: r.cores, threads: r.threads, backend: r.backend, backendVersion: r.backendVersion,
      precision: r.precision, cpu: cpu)
  }
}

/// What differs between CPUs that share a model string and matters to XNNPACK: the x86 family,
/// model and stepping (`/proc/cpuinfo`'s "cpu family", "model", "stepping"; nil where the
/// kernel does not report them, as on ARM) and which of the instruction-set extensions that
/// XNNPACK selects kernels by the CPU reports (``kernelFlags``).
public struct CPUIdentity: Codable, Sendable, Hashable {
  public var family: Int?
  public var model: Int?
  public var stepping: Int?
  /// The ``kernelFlags`` this CPU reports, in that list's order.
  public var flags: [String]

  public init(family: Int?, model: Int?, stepping: Int?, flags: [String]) {
    self.family = family
    self.model = model
    self.stepping = stepping
    self.flags = flags
  }

  /// The extensions XNNPACK (and its cpuinfo library) choose micro-kernels by, as Linux names
  /// them in "flags" (x86) or "Features" (ARM). A fixed list, rather than every flag, so that a
  /// kernel or hypervisor update that adds an unrelated flag does not orphan the tables.
  public static let kernelFlags = [
    "sse2", "ssse3", "sse4_1", "sse4_2", "avx", "f16c", "fma", "fma4", "xop", "avx2", "avx512f", "avx512cd", "avx512dq", "avx512bw",
    "avx512vl", "avx512ifma", "avx512vbmi", "avx512_vbmi2", "avx512_vnni", "avx512_bf16", "avx512_fp16", "avx_vnni", "amx_tile",
    "amx_bf16", "amx_int8",
    "asimd", "fphp", "asimdhp", "asimddp", "asimdfhm", "i8mm", "bf16", "sve", "sve2",
  ]

  /// The identity /proc/cpuinfo text gives (the first processor's block; every core of one
  /// machine reports the same).
  public static func parse(cpuinfo text: String) -> CPUIdentity {
    let present = Set((field("flags", in: text) ?? field("Features", in: text) ?? "").split(separator: " ").map(String.init))
    return CPUIdentity(
      family: field("cpu family", in: text).flatMap { Int($0) }, model: field("model", in: text).flatMap { Int($0) },
      stepping: field("stepping", in: text).flatMap { Int($0) }, flags: kernelFlags.filter(present.contains))
  }

  /// This machine's identity (with every field empty when /proc/cpuinfo cannot be read, which
  /// still marks the profile as recorded by this version).
  public static let current: CPUIdentity = parse(cpuinfo: cpuinfo ?? "")

  static var cpuinfo: String? { try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) }

  /// The value of the first `name : value` line whose name is exactly `name`.
  static func field(_ name: String, in text: String) -> String? {
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      guard let colon = line.firstIndex(of: ":") else { continue }
      if line[..<colon].trimmingCharacters(in: .whitespaces) == name {
        return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
      }
    }
    return nil
  }

  /// The CSV columns a profile with a known identity adds (`nas latency export`): numbers empty
  /// where not reported, the flags space-separated, or `-` for a CPU reporting none of them.
  public static let csvColumns = ["cpu_family", "cpu_model_number", "cpu_stepping", "cpu_flags"]

  /// This identity as the values of ``csvColumns``.
  public var csvFields: [String] {
    [family, model, stepping].map { $0.map(String.init) ?? "" } + [flags.isEmpty ? "-" : flags.joined(separator: " ")]
  }

  /// The identity the values of ``csvColumns`` give: nil when all four are empty (a profile
  /// from before identities were recorded), or a message saying which value is wrong.
  public static func fromCSV(_ fields: [String]) -> Result<CPUIdentity?, CSVProblem> {
    guard fields.count == csvColumns.count else { return .failure(CSVProblem(message: "expected the columns \(csvColumns.joined(separator: ","))")) }
    if fields.allSatisfy(\.isEmpty) { return .success(nil) }
    var numbers: [Int?] = []
    for (name, text) in zip(csvColumns, fields.prefix(3)) {
      if text.isEmpty {
        numbers.append(nil)
      } else if let n = Int(text), n >= 0 {
        numbers.append(n)
      } else {
        return .failure(CSVProblem(message: "\(name) must be empty or a non-negative integer, got '\(text)'"))
      }
    }
    guard !fields[3].isEmpty else {
      return .failure(CSVProblem(message: "cpu_flags must list the CPU's kernel flags, or be '-' when it has none (empty only with the other identity columns)"))
    }
    let flags = fields[3] == "-" ? [] : fields[3].split(separator: " ").map(String.init)
    return .success(CPUIdentity(family: numbers[0], model: numbers[1], stepping: numbers[2], flags: flags))
  }

  /// Why identity columns of a CSV row cannot be read.
  public struct CSVProblem: Error, Sendable {
    public var message: String
  }

  /// What the profile id hashes besides the older fields.
  var hashedFields: [String] {
    ["family=\(family.map(String.init) ?? "?")", "model=\(model.map(String.init) ?? "?")", "stepping=\(stepping.map(String.init) ?? "?")",
     "flags=\(flags.joined(separator: " "))"]
  }

  /// `family 25 model 17 stepping 1; sse2 ssse3 ... avx512_vnni`
  public var text: String {
    let numbers = [("family", family), ("model", model), ("stepping", stepping)].compactMap { name, v in v.map { "\(name) \($0)" } }
    let flagText = flags.isEmpty ? "no kernel flags reported" : flags.joined(separator: " ")
    return numbers.isEmpty ? flagText : numbers.joined(separator: " ") + "; " + flagText
  }
}
