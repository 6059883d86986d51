import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Runs a command in its own process group with a time limit, capturing output. On timeout
/// the whole group gets SIGTERM, then SIGKILL after a grace period, so shells and the
/// programs they started all end.
enum Subprocess {
  struct Outcome {
    var status: Int32?
    var signal: Int32?
    var timedOut: Bool
    var stdout: String
    var stderr: String
  }

  enum Failure: Error, CustomStringConvertible {
    case spawn(String)
    var description: String {
      switch self {
      case .spawn(let s): return s
      }
    }
  }

  /// Runs `arguments[0]` with `arguments`; output beyond `limit` bytes per stream keeps the end.
  static func run(
    _ arguments: [String], environment: [String: String], timeout: TimeInterval, limit: Int = 1 << 20
  ) throws(Failure) -> Outcome {
    var outPipe: [Int32] = [0, 0], errPipe: [Int32] = [0, 0]
    guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else { throw .spawn("cannot create pipes: \(String(cString: strerror(errno)))") }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
    posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
    for fd in [outPipe[0], outPipe[1], errPipe[0], errPipe[1]] { posix_spawn_file_actions_addclose(&actions, fd) }
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    posix_spawnattr_setpgroup(&attributes, 0)
    var noSignals = sigset_t()
    sigemptyset(&noSignals)
    posix_spawnattr_setsigmask(&attributes, &noSignals)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for s in [SIGINT, SIGTERM, SIGPIPE, SIGQUIT] { sigaddset(&defaults, s) }
    posix_spawnattr_setsigdefault(&attributes, &defaults)

    let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
      for p in argv { free(p) }
      for p in envp { free(p) }
    }
    var pid: pid_t = 0
    let rc = posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, envp)
    close(outPipe[1])
    close(errPipe[1])
    guard rc == 0 else {
      close(outPipe[0])
      close(errPipe[0])
      throw .spawn("cannot start \(arguments[0]): \(String(cString: strerror(rc)))")
    }
    let out = Collector(fd: outPipe[0], limit: limit), err = Collector(fd: errPipe[0], limit: limit)
    let group = DispatchGroup()
    for c in [out, err] {
      group.enter()
      Thread.detachNewThread {
        c.drain()
        group.leave()
      }
    }
    let deadline = Date().addingTimeInterval(timeout)
    var status: Int32 = 0
    var timedOut = false
    var exited = false
    while !exited {
      let r = waitpid(pid, &status, WNOHANG)
      if r == pid { exited = true; break }
      if r < 0 && errno != EINTR { break }
      if Date() >= deadline {
        timedOut = true
        kill(-pid, SIGTERM)
        let grace = Date().addingTimeInterval(2)
        while Date() < grace, waitpid(pid, &status, WNOHANG) == 0 { usleep(20_000) }
        kill(-pid, SIGKILL)
        _ = waitpid(pid, &status, 0)
        exited = true
        break
      }
      usleep(10_000)
    }
    // Children of the command may still hold the pipes open; the group is gone on timeout,
    // otherwise wait briefly and then stop reading.
    if group.wait(timeout: .now() + 5) == .timedOut {
      kill(-pid, SIGKILL)
      _ = group.wait(timeout: .now() + 2)
    }
    let exitedNormally = (status & 0x7f) == 0
    return Outcome(
      status: exitedNormally ? (status >> 8) & 0xff : nil, signal: exitedNormally ? nil : status & 0x7f, timedOut: timedOut,
      stdout: out.text, stderr: err.text)
  }

  /// Reads a pipe to its end, keeping the last `limit` bytes.
  final class Collector: @unchecked Sendable {
    let fd: Int32
    let limit: Int
    private var data = [UInt8]()
    private let lock = NSLock()

    init(fd: Int32, limit: Int) {
      self.fd = fd
      self.limit = limit
    }

    func drain() {
      var buffer = [UInt8](repeating: 0, count: 65536)
      while true {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { break }
        lock.lock()
        data.append(contentsOf: buffer[0..<n])
        if data.count > 2 * limit { data.removeFirst(data.count - limit) }
        lock.unlock()
      }
      close(fd)
    }

    var text: String {
      lock.lock()
      defer { lock.unlock() }
      return String(decoding: data.suffix(limit), as: UTF8.self)
    }
  }
}
