import Foundation

/// How many cores this process may run on: its CPU affinity on Linux, which `taskset` or a
/// container's cpuset narrows, else every active core. Training and evaluation size their
/// thread pools by it, so two commands pinned to one core each do not both run two threads.
public enum UsableCores {
  public static var count: Int {
    #if os(Linux)
    if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
      let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }),
      let n = cpuListCount(String(line.dropFirst("Cpus_allowed_list:".count))), n > 0
    {
      return min(n, ProcessInfo.processInfo.activeProcessorCount)
    }
    #endif
    return max(1, ProcessInfo.processInfo.activeProcessorCount)
  }

  /// The number of CPUs in a Linux CPU list such as `0-3,8,10-11`; nil when it does not parse.
  public static func cpuListCount(_ list: String) -> Int? {
    var total = 0
    for part in list.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",") {
      let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
      guard let lo = Int(bounds[0]), bounds.count <= 2 else { return nil }
      let hi = bounds.count == 2 ? Int(bounds[1]) : lo
      guard let hi, hi >= lo else { return nil }
      total += hi - lo + 1
    }
    return total
  }
}
