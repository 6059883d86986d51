import NASArch
import NASSupport
import NASTrain

/// What `nas score` reports: one zero-cost score of an architecture's untrained proxy.
public struct ScoreReport: Codable, Sendable {
  public var architecture: String?
  public var hash: String
  public var shortHash: String
  public var proxy: ZeroCostProxy
  public var score: Double
  public var standardDeviation: Double?
  public var repeats: Int
  public var seconds: Double
  public var proxyMacs: Int?
  public var params: Int?
  public var evaluatorConfiguration: String

  /// The text `nas score` prints.
  public var text: String {
    var line = "\(architecture ?? "architecture") \(shortHash): \(proxy.rawValue) \(Format.fixed(score, 4))"
    if let standardDeviation { line += " (sd \(Format.fixed(standardDeviation, 4)) over \(repeats) draws)" }
    return line + " in \(Format.fixed(seconds, 2)) s"
  }
}

extension ZeroCostEvaluator {
  /// Scores `architecture`; a failed score is an error here (a search records it instead).
  public func report(_ architecture: Architecture) throws -> ScoreReport {
    _ = try architecture.placedUnits()
    let e = try evaluate(architecture).mapError { EvaluationError("\(configuration.proxy.rawValue): \($0.message)") }.get()
    return ScoreReport(
      architecture: architecture.name, hash: architecture.canonicalHash, shortHash: architecture.shortHash, proxy: configuration.proxy,
      score: e.value, standardDeviation: e.details["standard_deviation"], repeats: Int(e.details["repeats"] ?? 1), seconds: e.seconds,
      proxyMacs: e.details["proxy_macs"].map { Int($0) }, params: e.details["params"].map { Int($0) },
      evaluatorConfiguration: configurationJSON)
  }
}
