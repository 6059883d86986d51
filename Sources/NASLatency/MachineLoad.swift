import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// How busy other processes kept the machine while this process timed something.
///
/// An end-to-end measurement taken while other processes run (a parallel search, a build)
/// reads 30-40% high on these VMs even when our own core is free: the cores share caches and
/// memory bandwidth. A search's or NetAdapt's final measurement is therefore stored with the
/// cores other processes kept busy over it (`evaluations.measured_under_load`) and reported
/// when that reaches ``loadedThreshold``.
///
/// Other processes' CPU time is the machine's busy time from /proc/stat minus this process's
/// own (getrusage), over the wall time of the measurement. The 1-minute load average from
/// /proc/loadavg is kept for the message only: it lags by a minute and counts our own thread.
public struct MachineLoad: Codable, Sendable, Equatable {
  /// Cores other processes kept busy on average over the interval (0 on an idle machine).
  public var otherBusyCores: Double
  /// The 1-minute load average at the end of the interval, when /proc/loadavg was readable.
  public var loadAverage: Double?
  /// Online cores.
  public var cores: Int

  public init(otherBusyCores: Double, loadAverage: Double?, cores: Int) {
    self.otherBusyCores = otherBusyCores
    self.loadAverage = loadAverage
    self.cores = cores
  }

  /// Half a core of other work: a single busy process (a build step, another timing) is
  /// enough to slow a measurement by tens of percent, while the kernel's and the session's
  /// background stays far below it.
  public static let loadedThreshold = 0.5

  /// Whether the measurement should be treated as taken under load.
  public var isLoaded: Bool { otherBusyCores >= Self.loadedThreshold }

  /// `1.0 of 2 cores` (and the load average when known).
  public var text: String {
    "other processes kept \(String(format: "%.1f", otherBusyCores)) of \(cores) cores busy"
      + (loadAverage.map { " (1-minute load average \(String(format: "%.2f", $0)))" } ?? "")
  }

  /// The warning for a measurement of `what` taken under this load, or nil when the machine was quiet.
  public func warning(measuring what: String, milliseconds: Double) -> String? {
    guard isLoaded else { return nil }
    return "warning: \(what) measured \(String(format: "%.3f", milliseconds)) ms while \(text); end-to-end timings on a busy machine "
      + "read high (30-40% on these hosts), so it is marked in evaluations.measured_under_load; time it again on an idle "
      + "machine with 'nas latency measure FILE.arch'"
  }

  // MARK: - Parsing

  /// Cumulative CPU time of the whole machine, in clock ticks, from /proc/stat's `cpu` line.
  public struct CPUTimes: Sendable, Equatable {
    /// Ticks spent running something: user, nice, system, irq and softirq (guest time is
    /// already inside user and nice; idle, iowait and steal are not work done here).
    public var busy: UInt64
    public var total: UInt64
  }

  /// Parses the aggregate `cpu` line of /proc/stat text; nil when there is none or it is malformed.
  public static func parseStat(_ text: String) -> CPUTimes? {
    guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return nil }
    let fields = line.split(separator: " ").dropFirst().map { UInt64($0) }
    guard fields.count >= 4, fields.allSatisfy({ $0 != nil }) else { return nil }
    let v = fields.map { $0! }
    func at(_ i: Int) -> UInt64 { i < v.count ? v[i] : 0 }
    // user nice system idle iowait irq softirq steal guest guest_nice
    let busy = at(0) + at(1) + at(2) + at(5) + at(6)
    let total = busy + at(3) + at(4) + at(7)
    return CPUTimes(busy: busy, total: total)
  }

  /// The 1-minute load average, the first field of /proc/loadavg text.
  public static func parseLoadAverage(_ text: String) -> Double? {
    text.split(separator: " ").first.flatMap { Double($0) }
  }

  /// A point in time: the machine's CPU times, this process's CPU seconds and the wall clock.
  public struct Snapshot: Sendable, Equatable {
    public var machine: CPUTimes
    public var ownCPUSeconds: Double
    public var wallSeconds: Double

    public init(machine: CPUTimes, ownCPUSeconds: Double, wallSeconds: Double) {
      self.machine = machine
      self.ownCPUSeconds = ownCPUSeconds
      self.wallSeconds = wallSeconds
    }
  }

  /// The load between two snapshots, with `ticksPerSecond` the kernel's clock tick rate; nil
  /// when the interval is shorter than 20 ticks (one tick more or less would then change the
  /// figure by over 5% of a core). Rounding of the tick counters can make the difference
  /// slightly negative on an idle machine, hence the floor at zero.
  public static func between(
    _ start: Snapshot, _ end: Snapshot, ticksPerSecond: Double, loadAverage: Double?, cores: Int
  ) -> MachineLoad? {
    let wall = end.wallSeconds - start.wallSeconds
    guard ticksPerSecond > 0, wall >= 20 / ticksPerSecond, end.machine.busy >= start.machine.busy else { return nil }
    let machineSeconds = Double(end.machine.busy - start.machine.busy) / ticksPerSecond
    let own = end.ownCPUSeconds - start.ownCPUSeconds
    return MachineLoad(otherBusyCores: max(0, (machineSeconds - own) / wall), loadAverage: loadAverage, cores: cores)
  }

  // MARK: - Sampling this machine

  /// This machine now; nil where /proc/stat cannot be read (not Linux).
  public static func snapshot() -> Snapshot? {
    guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8), let machine = parseStat(text) else { return nil }
    var usage = rusage()
    guard getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage) == 0 else { return nil }
    let own = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
      + Double(usage.ru_stime.tv_usec) / 1e6
    return Snapshot(machine: machine, ownCPUSeconds: own, wallSeconds: Double(DispatchTime.now().uptimeNanoseconds) / 1e9)
  }

  /// Runs `body` and returns its result with the load other processes put on the machine
  /// meanwhile (nil when it cannot be sampled).
  public static func during<T>(_ body: () throws -> T) rethrows -> (T, MachineLoad?) {
    let start = snapshot()
    let value = try body()
    guard let start, let end = snapshot() else { return (value, nil) }
    let average = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)).flatMap(parseLoadAverage)
    let load = between(
      start, end, ticksPerSecond: Double(sysconf(Int32(_SC_CLK_TCK))), loadAverage: average,
      cores: ProcessInfo.processInfo.activeProcessorCount)
    return (value, load)
  }
}
