import ArgumentParser
import Foundation
import NASArch
import NASLatency
import NASSupport

struct LatencyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "latency", abstract: "Measure, fit, predict and validate latency on this device.",
    subcommands: [LatencyMeasure.self])
}

struct LatencyMeasure: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "measure", abstract: "Build an architecture as an XNNPACK network with random weights and time it.")
  @Argument(help: "An .arch file.") var file: String
  @Option(help: "Threads (pthreadpool); 1 as phone benchmarks use one big core.") var threads = 1
  @Option(help: "Untimed warm-up runs.") var warmup = 10
  @Option(help: "Timed runs.") var runs = 100
  @Flag(help: "Print JSON.") var json = false

  func run() throws {
    guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    let arch = try CLI.loadArchitecture(file)
    let m = try LatencyCLI.run { () throws(LatencyError) in try NetworkTimer.measure(arch, threads: threads, warmup: warmup, runs: runs) }
    if json {
      print(try JSONOutput.string(LatencyMeasureOutput(m, file: file)))
      return
    }
    print("\(file): \(m.name ?? m.hash.prefix(12).description)  \(Format.si(Double(m.macs))) MACs  \(Format.grouped(m.params)) params")
    print(
      "latency \(Format.fixed(m.milliseconds, 3)) ms (median of \(m.timing.runs) runs after \(m.warmup) warm-up; "
        + "p10 \(Format.fixed(m.timing.p10 / 1000, 3)), p90 \(Format.fixed(m.timing.p90 / 1000, 3)), "
        + "MAD \(Format.fixed(m.timing.mad / 1000, 3)) ms) on \(m.threads) thread\(m.threads == 1 ? "" : "s")")
  }
}

struct LatencyMeasureOutput: Encodable {
  var file: String
  var name: String?
  var hash: String
  var macs: Int
  var params: Int
  var threads: Int
  var runs: Int
  var milliseconds: Double
  var p10Milliseconds: Double
  var p90Milliseconds: Double
  var madMilliseconds: Double
  var minimumMilliseconds: Double
  var buildSeconds: Double
  init(_ m: NetworkMeasurement, file: String) {
    self.file = file
    name = m.name
    hash = m.hash
    macs = m.macs
    params = m.params
    threads = m.threads
    runs = m.timing.runs
    milliseconds = m.milliseconds
    p10Milliseconds = m.timing.p10 / 1000
    p90Milliseconds = m.timing.p90 / 1000
    madMilliseconds = m.timing.mad / 1000
    minimumMilliseconds = m.timing.minimum / 1000
    buildSeconds = m.buildSeconds
  }
}

/// Turns latency errors into clean command-line failures.
enum LatencyCLI {
  static func run<T>(_ body: () throws(LatencyError) -> T) throws -> T {
    do { return try body() } catch { throw CLI.Failure(description: error.description) }
  }
}
