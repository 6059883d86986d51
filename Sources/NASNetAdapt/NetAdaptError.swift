/// What can go wrong in a NetAdapt run: each case says what, where, and what to do.
public enum NetAdaptError: Error, CustomStringConvertible, Sendable {
  /// The channel surgery cannot carry weights from one architecture to the other.
  case surgery(String)
  /// The seed weights do not fit the seed's proxy network.
  case weights(path: String, reason: String)
  /// No proposal can remove the requested latency any more.
  case noProposal(iteration: Int, latencyMs: Double, targetMs: Double, cutMs: Double)
  /// The target is not below the seed's predicted latency, or not positive.
  case target(String)
  /// A setting has a value NetAdapt cannot use.
  case setting(String)
  /// The latency predictor failed or is missing.
  case latency(String)
  /// Training or evaluation failed.
  case training(String)
  /// `--resume` found nothing to continue, or a stored run that does not match.
  case resume(String)
  /// Writing the architecture or the weights failed.
  case output(path: String, reason: String)

  public var description: String {
    switch self {
    case .surgery(let m):
      return "channel surgery: \(m); this is a bug in nas netadapt, please report it with the seed architecture"
    case .weights(let path, let reason):
      return "\(path): \(reason); pass the weights `nas train` saved for this architecture, or leave out --weights to train the seed first"
    case .noProposal(let i, let ms, let target, let cut):
      return "iteration \(i): no width can shrink further at \(String(format: "%.3f", ms)) ms (target \(String(format: "%.3f", target)) ms): "
        + "none can cut even \(String(format: "%.4f", cut)) ms alone, since every prunable width is at the channel divisor or would "
        + "change the layer structure; choose a higher target"
    case .target(let m):
      return "target: \(m)"
    case .setting(let m):
      return m
    case .latency(let m):
      return "latency predictor: \(m)"
    case .training(let m):
      return "training: \(m)"
    case .resume(let m):
      return "resume: \(m)"
    case .output(let path, let reason):
      return "\(path): could not write (\(reason)); check the folder exists and is writable, or pass --out"
    }
  }
}
