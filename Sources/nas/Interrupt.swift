import Foundation
import NASSupport

/// Turns the first Ctrl-C into a stop request that long work polls; the second ends the
/// process at once (what was committed stays, and `--resume` or a rerun continues).
final class Interrupt: @unchecked Sendable {
  let flag = AtomicFlag()
  private var source: DispatchSourceSignal?

  var isSet: Bool { flag.isSet }

  static func install(message: String) -> Interrupt {
    let interrupt = Interrupt()
    signal(SIGINT, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
    source.setEventHandler {
      if interrupt.flag.isSet { exit(130) }
      interrupt.flag.set()
      FileHandleWriter.writeStderr("\n\(message)\n")
    }
    source.resume()
    interrupt.source = source
    return interrupt
  }
}
