import CXNNPack
import Foundation

/// The XNNPACK library as this process uses it: initialised once, with its version read from
/// the installed package so device profiles say which kernels were timed.
public enum XNNPACKLibrary {
  private static let initStatus: Int = Int(xnn_initialize(nas_hugepage_allocator()).rawValue)

  /// Initialises XNNPACK (once per process; later calls are free).
  public static func initialize() throws(LatencyError) {
    let status = initStatus
    guard status == 0 else { throw .xnnpack(call: "xnn_initialize", status: status, context: "the library") }
  }

  /// The installed library's version (Debian package version of libxnnpack0), or "unknown".
  public static let version: String = {
    guard let text = try? String(contentsOfFile: "/var/lib/dpkg/status", encoding: .utf8) else { return "unknown" }
    for stanza in text.components(separatedBy: "\n\n") where stanza.hasPrefix("Package: libxnnpack0\n") {
      for line in stanza.split(separator: "\n") where line.hasPrefix("Version: ") {
        return String(line.dropFirst("Version: ".count))
      }
    }
    return "unknown"
  }()

  static func check(_ status: xnn_status, _ call: String, _ context: @autoclosure () -> String) throws(LatencyError) {
    guard status == xnn_status_success else {
      throw .xnnpack(call: call, status: Int(status.rawValue), context: context())
    }
  }
}

/// A pthreadpool with a fixed number of threads; one thread means no pool (XNNPACK then runs
/// on the calling thread, as a phone benchmark pinned to one big core does).
final class ThreadPool {
  let threads: Int
  let pool: pthreadpool_t?

  init(threads: Int) {
    self.threads = max(1, threads)
    pool = self.threads > 1 ? pthreadpool_create(self.threads) : nil
  }

  deinit {
    if let pool { pthreadpool_destroy(pool) }
  }
}
