import Dispatch

/// Splits work over the engine's threads. Each chunk is a contiguous range, and chunk `t`
/// always covers the same range for the same total and thread count, so per-thread partial
/// sums combine in a fixed order and training is reproducible.
enum Parallel {
  @inline(__always)
  static func chunks(_ total: Int, threads: Int, _ body: (_ chunk: Int, _ range: Range<Int>) -> Void) {
    let n = max(1, min(threads, total))
    if n == 1 {
      body(0, 0..<total)
      return
    }
    // The chunks write disjoint memory through raw pointers, which Sendable checking cannot see.
    withoutActuallyEscaping(body) { escapable in
      let work = UncheckedSendable(escapable)
      DispatchQueue.concurrentPerform(iterations: n) { t in
        work.value(t, range(t, of: n, total: total))
      }
    }
  }

  @inline(__always)
  static func range(_ t: Int, of n: Int, total: Int) -> Range<Int> {
    let lo = total * t / n
    let hi = total * (t + 1) / n
    return lo..<hi
  }

  /// The number of chunks `chunks` uses.
  @inline(__always)
  static func count(_ total: Int, threads: Int) -> Int { max(1, min(threads, total)) }
}

struct UncheckedSendable<V>: @unchecked Sendable {
  let value: V
  init(_ value: V) { self.value = value }
}
