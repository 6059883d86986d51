import Foundation
import NASSupport

/// Turns the first Ctrl-C (SIGINT) or SIGTERM into a stop request that long work polls, so a
/// run killed politely finishes what is in flight and is marked interrupted; a second signal
/// ends the process at once (what was committed stays, and `--resume` or a rerun continues).
final class Interrupt: @unchecked Sendable {
  let flag = AtomicFlag()
  private var sources: [DispatchSourceSignal] = []

  var isSet: Bool { flag.isSet }

  static func install(message: String) -> Interrupt {
    let interrupt = Interrupt()
    for signalNumber in [SIGINT, SIGTERM] {
      signal(signalNumber, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
      source.setEventHandler {
        if interrupt.flag.isSet { exit(128 + signalNumber) }
        interrupt.flag.set()
        FileHandleWriter.writeStderr("\n\(message)\n")
      }
      source.resume()
      interrupt.sources.append(source)
    }
    return interrupt
  }
}
