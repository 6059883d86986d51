import Foundation
import NASSupport

/// The device a latency table belongs to: samples only predict for the profile they were
/// measured under (CPU, threads, kernels library and its version, precision).
public struct DeviceProfile: Codable, Sendable, Hashable {
  public var cpuModel: String
  public var cores: Int
  public var threads: Int
  public var backend: String
  public var backendVersion: String
  public var precision: String

  public init(cpuModel: String, cores: Int, threads: Int, backend: String, backendVersion: String, precision: String) {
    self.cpuModel = cpuModel
    self.cores = cores
    self.threads = threads
    self.backend = backend
    self.backendVersion = backendVersion
    self.precision = precision
  }

  /// A stable short id: the first 12 hex digits of the SHA-256 of the fields.
  public var id: String {
    String(SHA256.hex([cpuModel, "\(cores)", "\(threads)", backend, backendVersion, precision].joined(separator: "\n")).prefix(12))
  }

  /// `AMD EPYC, 2 cores, 1 thread, xnnpack 0.0~git20220216.ae108ef-2, fp32`
  public var summary: String {
    "\(cpuModel), \(cores) cores, \(threads) thread\(threads == 1 ? "" : "s"), \(backend) \(backendVersion), \(precision)"
  }

  /// This machine running XNNPACK in float32 with `threads` threads.
  public static func current(threads: Int) -> DeviceProfile {
    DeviceProfile(
      cpuModel: cpuModelName(), cores: ProcessInfo.processInfo.activeProcessorCount, threads: max(1, threads),
      backend: "xnnpack", backendVersion: XNNPACKLibrary.version, precision: "fp32")
  }

  /// The CPU model from /proc/cpuinfo ("model name"), or "unknown CPU".
  public static func cpuModelName() -> String {
    guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown CPU" }
    for line in text.split(separator: "\n") where line.hasPrefix("model name") {
      if let colon = line.firstIndex(of: ":") {
        return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
      }
    }
    return "unknown CPU"
  }
}
