import CXNNPack
import Foundation
import NASArch

/// A network (or a run of its units) compiled into an XNNPACK runtime with random folded
/// weights, ready to run and time.
///
/// Not thread-safe: one network runs on one thread at a time (XNNPACK parallelises inside a
/// run with the network's own thread pool).
public final class XNNPACKNetwork {
  public let inputShape: Shape
  public let outputShape: Shape
  public let threads: Int
  private let arena = FloatArena()
  private let pool: ThreadPool
  private var runtime: xnn_runtime_t?
  private let input: UnsafeMutableBufferPointer<Float>
  private let output: UnsafeMutableBufferPointer<Float>

  /// Builds `units` (consecutive placed units) with the given parameters, or random ones from `seed`.
  public init(
    units: [PlacedUnit], parameters: [[LayerParameters]]? = nil, seed: UInt64 = 1, threads: Int = 1,
    context: String = "network"
  ) throws(LatencyError) {
    try XNNPACKLibrary.initialize()
    guard let first = units.first, let last = units.last else { throw .invalidArgument("no units to build in \(context)") }
    inputShape = first.input
    outputShape = last.output
    self.threads = max(1, threads)
    pool = ThreadPool(threads: self.threads)
    var generator = ParameterGenerator(seed: seed)
    let params = parameters ?? generator.parameters(for: units)
    guard params.count == units.count, zip(params, units).allSatisfy({ $0.count == $1.layers.count }) else {
      throw .invalidArgument("parameter count does not match the layers of \(context)")
    }
    input = arena.zeros(first.input.elements)
    output = arena.zeros(last.output.elements)
    let builder = try SubgraphBuilder(arena: arena, context: context)
    defer { xnn_delete_subgraph(builder.subgraph) }
    try builder.units(units, parameters: params)
    var rt: xnn_runtime_t?
    try XNNPACKLibrary.check(xnn_create_runtime_v2(builder.subgraph, pool.pool, 0, &rt), "xnn_create_runtime_v2", context)
    runtime = rt
    let externals = [
      xnn_external_value(id: SubgraphBuilder.inputID, data: UnsafeMutableRawPointer(input.baseAddress!)),
      xnn_external_value(id: SubgraphBuilder.outputID, data: UnsafeMutableRawPointer(output.baseAddress!)),
    ]
    let status = externals.withUnsafeBufferPointer { xnn_setup_runtime(rt, 2, $0.baseAddress) }
    try XNNPACKLibrary.check(status, "xnn_setup_runtime", context)
    var rng = ParameterGenerator(seed: seed ^ 0x5EED)
    setInput(rng.uniform(inputShape.elements, 1))
  }

  /// The whole architecture.
  public convenience init(architecture: Architecture, seed: UInt64 = 1, threads: Int = 1) throws(LatencyError) {
    let placed: [PlacedUnit]
    do { placed = try architecture.placedUnits() } catch { throw LatencyError(error) }
    try self.init(units: placed, seed: seed, threads: threads, context: architecture.name ?? architecture.shortHash)
  }

  /// One unit on one input shape (a microbenchmark).
  public convenience init(unit: NASArch.Unit, input: Shape, seed: UInt64 = 1, threads: Int = 1) throws(LatencyError) {
    let placed: PlacedUnit
    do { placed = try unit.place(input: input, index: 0) } catch { throw LatencyError(error) }
    try self.init(units: [placed], seed: seed, threads: threads, context: UnitKey.text(unit: unit, input: input))
  }

  deinit {
    if let runtime { xnn_delete_runtime(runtime) }
  }

  /// Copies `values` (NHWC, batch 1) into the input tensor.
  public func setInput(_ values: [Float]) {
    let n = min(values.count, input.count)
    for i in 0..<n { input[i] = values[i] }
  }

  /// The output tensor after the last run (NHWC, batch 1).
  public var outputValues: [Float] { Array(output.prefix(outputShape.elements)) }

  /// Runs the network once.
  public func run() throws(LatencyError) {
    try XNNPACKLibrary.check(xnn_invoke_runtime(runtime), "xnn_invoke_runtime", "a run")
  }

  /// Runs once and returns the wall time in nanoseconds.
  @inline(__always)
  func timedRun() throws(LatencyError) -> UInt64 {
    let start = DispatchTime.now().uptimeNanoseconds
    let status = xnn_invoke_runtime(runtime)
    let end = DispatchTime.now().uptimeNanoseconds
    try XNNPACKLibrary.check(status, "xnn_invoke_runtime", "a run")
    return end - start
  }

  /// The time of each of `runs` runs after `warmup` untimed ones, in microseconds.
  public func timeRuns(warmup: Int, runs: Int) throws(LatencyError) -> [Double] {
    for _ in 0..<max(0, warmup) { try run() }
    var samples: [Double] = []
    samples.reserveCapacity(max(1, runs))
    for _ in 0..<max(1, runs) { samples.append(Double(try timedRun()) / 1000) }
    return samples
  }
}
