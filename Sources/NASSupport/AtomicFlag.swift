import Foundation

/// A flag set from a signal handler (or another thread) and polled by long work.
public final class AtomicFlag: @unchecked Sendable {
  private let lock = NSLock()
  private var value = false
  public init() {}
  public var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
  public func set() { lock.lock(); value = true; lock.unlock() }
}
