import Foundation

/// A real PostgreSQL server for the tests: the one named by `NAS_TEST_POSTGRES_URL` (an admin
/// URL, one that may CREATE DATABASE), or else one throwaway cluster per test process, made by
/// `scripts/postgres-cluster.sh` on first use and stopped and removed when the process exits.
/// Tests isolate themselves with `freshDatabase()`. `.ci/run` starts the cluster itself and
/// names it with `NAS_TEST_POSTGRES_URL` and `NAS_TEST_POSTGRES_CLUSTER` (its folder, so the
/// fault tests can restart it). When PostgreSQL is not installed the tests
/// fail with a message saying how to install it; they are never skipped silently.
public enum PostgresTestServer {
  public struct Failure: Error, CustomStringConvertible {
    public let description: String
  }

  /// Admin URL of the server (starting it on first use).
  public static func adminURL() throws -> String {
    try state.lock.withLock {
      if let started = state.started { return try started.get() }
      // A failed start is remembered: every later test reports it without trying again.
      let result = Result { try start() }
      state.started = result
      return try result.get()
    }
  }

  /// A fresh, empty database on the server, returning its URL.
  public static func freshDatabase() throws -> String {
    let admin = try adminURL()
    let name = "nas_test_" + randomHex(6)
    try sql(admin, "CREATE DATABASE \(name)")
    state.lock.withLock { state.databases.append(name) }
    return url(admin, database: name)
  }

  /// Restarts the server (fast shutdown: open connections break), for fault tests. Only the
  /// helper's own cluster can be restarted.
  public static func restart() throws {
    _ = try adminURL()
    let given = ProcessInfo.processInfo.environment["NAS_TEST_POSTGRES_CLUSTER"].flatMap { $0.isEmpty ? nil : $0 }
    guard let directory = state.lock.withLock({ state.directory }) ?? given else {
      throw Failure(
        description: "restart() needs the test cluster's folder: set NAS_TEST_POSTGRES_CLUSTER with NAS_TEST_POSTGRES_URL, or unset both")
    }
    let log = directory + ".restart.log"
    defer { try? FileManager.default.removeItem(atPath: log) }
    let status = runScript("restart", directory, stdout: "/dev/null", stderr: log)
    guard status == 0 else {
      throw Failure(description: "scripts/postgres-cluster.sh restart failed (status \(status)): \(tail(of: log))")
    }
  }

  // MARK: - Private

  private final class State: @unchecked Sendable {
    let lock = NSLock()
    var started: Result<String, any Error>?
    /// The cluster's directory when this process made it.
    var directory: String?
    var databases: [String] = []
  }

  private static let state = State()

  private static let script = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("scripts/postgres-cluster.sh").path

  private static func start() throws -> String {
    if let url = ProcessInfo.processInfo.environment["NAS_TEST_POSTGRES_URL"], !url.isEmpty {
      do { try sql(url, "SELECT 1") } catch { throw Failure(description: "NAS_TEST_POSTGRES_URL: \(error)") }
      atexit { PostgresTestServer.cleanUp() }
      return url
    }
    // Short, because the server's socket lives in it (Unix socket paths are limited to ~100 bytes).
    let directory = (NSTemporaryDirectory() as NSString).appendingPathComponent("nas-pg-" + randomHex(4))
    let output = directory + ".url", log = directory + ".log"
    defer { try? FileManager.default.removeItem(atPath: output) }
    let status = runScript("start", directory, stdout: output, stderr: log)
    guard status == 0, let url = try? String(contentsOfFile: output, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
      !url.isEmpty
    else {
      let why = tail(of: log)
      _ = runScript("stop", directory, stdout: "/dev/null", stderr: "/dev/null")
      try? FileManager.default.removeItem(atPath: directory)
      if status == 69 {
        throw Failure(description: "PostgreSQL is not installed, and the tests need it: run scripts/setup.sh "
          + "(or set NAS_TEST_POSTGRES_URL to an admin URL of a server). \(why)")
      }
      throw Failure(description: "could not start a test PostgreSQL cluster (status \(status), log \(log)): \(why)")
    }
    try? FileManager.default.removeItem(atPath: log)
    state.directory = directory
    atexit { PostgresTestServer.cleanUp() }
    // atexit does not run when the process is killed or crashes; this watcher then stops the
    // cluster within a second. It ignores the terminal's Ctrl-C, which it would otherwise share,
    // and lets go of our stdout and stderr, which `swift test` reads to their end. It watches its
    // own parent pid (reparented at our exit), not ours: we stay a zombie until `swift test` reaps us.
    _ = spawn(
      [
        "/bin/bash", "-c",
        #"exec </dev/null >/dev/null 2>&1; trap '' INT HUP TERM; "#
          + #"while read -r _ _ _ ppid _ </proc/$$/stat && [ "$ppid" = "$1" ]; do sleep 1; done; "#
          + #""$0" stop "$2"; rm -rf "$2""#,
        script, "\(getpid())", directory,
      ], wait: false)
    return url
  }

  /// At process exit: stop and remove our cluster, or drop the databases made on someone else's.
  private static func cleanUp() {
    let (directory, databases, started) = state.lock.withLock { (state.directory, state.databases, state.started) }
    if let directory {
      _ = runScript("stop", directory, stdout: "/dev/null", stderr: "/dev/null")
      try? FileManager.default.removeItem(atPath: directory)
    } else if case .success(let admin) = started {
      for name in databases { try? sql(admin, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
    }
  }

  /// Runs one statement on the server with psql (through the script, which finds it).
  public static func sql(_ url: String, _ statement: String) throws {
    let log = NSTemporaryDirectory() + "nas-pg-sql-" + randomHex(4) + ".log"
    defer { try? FileManager.default.removeItem(atPath: log) }
    let status = spawn(["/bin/bash", "-c", #"exec "$0" sql "$1" "$2" >/dev/null 2>"$3""#, script, url, statement, log], wait: true)
    guard status == 0 else { throw Failure(description: "psql failed (status \(status)): \(tail(of: log))") }
  }

  /// Runs scripts/postgres-cluster.sh with its output in files. posix_spawn rather than Process:
  /// this also runs inside atexit, where Foundation's child monitoring is best not relied on.
  private static func runScript(_ command: String, _ directory: String, stdout: String, stderr: String) -> Int32 {
    spawn(["/bin/bash", "-c", #"exec "$0" "$1" "$2" >"$3" 2>"$4""#, script, command, directory, stdout, stderr], wait: true)
  }

  /// Starts a program (with this process's environment); with `wait`, returns its exit status.
  private static func spawn(_ arguments: [String], wait: Bool) -> Int32 {
    let argv = arguments.map { strdup($0) } + [nil]
    let environment = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { (argv + environment).forEach { free($0) } }
    var pid = pid_t()
    guard posix_spawn(&pid, arguments[0], nil, nil, argv, environment) == 0 else { return -1 }
    guard wait else { return 0 }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 {
      if errno != EINTR { return -1 }
    }
    // WIFEXITED / WEXITSTATUS, which Swift does not import.
    return status & 0x7f == 0 ? (status >> 8) & 0xff : -1
  }

  /// The admin URL pointed at another database.
  private static func url(_ admin: String, database: String) -> String {
    if admin.contains("://"), var components = URLComponents(string: admin) {
      components.path = "/" + database
      components.queryItems = components.queryItems?.filter { $0.name != "dbname" }
      if components.queryItems?.isEmpty == true { components.queryItems = nil }
      if let url = components.string { return url }
    }
    // A key/value connection string: a later setting wins over an earlier one.
    return admin + " dbname=" + database
  }

  private static func tail(of path: String) -> String {
    let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    return text.split(separator: "\n").suffix(8).joined(separator: " | ")
  }

  private static func randomHex(_ bytes: Int) -> String {
    (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
  }
}
