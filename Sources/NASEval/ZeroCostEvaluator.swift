import Foundation
import NASArch
import NASTrain

/// Zen-score, NASWOT or synflow of an architecture's untrained proxy network (the same proxy
/// ``TrainEvaluator`` trains, so scores and trained accuracies describe the same network).
public final class ZeroCostEvaluator: Evaluator {
  public struct Configuration: Codable, Hashable, Sendable {
    public var proxy: ZeroCostProxy
    /// The data set whose image shape (and, for NASWOT, images) the proxy network takes.
    public var data: String
    public var maxDownsampling: Int
    public var settings: ZeroCostSettings

    public init(
      proxy: ZeroCostProxy, data: String = "fashion-mnist", maxDownsampling: Int = TrainEvaluator.Configuration.defaultMaxDownsampling, settings: ZeroCostSettings = ZeroCostSettings()
    ) {
      self.proxy = proxy
      self.data = data
      self.maxDownsampling = maxDownsampling
      self.settings = settings
    }

    var identity: [String: String] {
      var d = ["evaluator": proxy.rawValue, "data": data, "max_downsampling": String(maxDownsampling)]
      switch proxy {
      case .zen:
        d["batch"] = String(settings.zenBatch)
        d["repeats"] = String(settings.zenRepeats)
        d["gamma"] = String(settings.zenGamma)
        d["seed"] = String(settings.seed)
      case .naswot:
        d["batch"] = String(settings.naswotBatch)
        d["seed"] = String(settings.seed)
      case .synflow:
        break
      }
      return d
    }
  }

  public let configuration: Configuration
  public let rule: ProxyRule
  let images: Dataset?
  public let threads: Int
  public var name: String { configuration.proxy.rawValue }
  public var configurationJSON: String { CanonicalJSON.string(configuration.identity) }
  public var givesAccuracy: Bool { false }

  /// Loads the data set (NASWOT scores its training images; the others only take its shape).
  public init(configuration: Configuration, splits: DataSplits? = nil, threads: Int = 2) throws(DataError) {
    self.configuration = configuration
    self.threads = threads
    let data: DataSplits
    if let splits {
      data = splits
    } else {
      data = try DataSource(argument: configuration.data).load()
    }
    rule = ProxyRule(for: data.train, maxDownsampling: configuration.maxDownsampling)
    images = configuration.proxy == .naswot ? data.train : nil
  }

  public func evaluate(_ architecture: Architecture) -> Result<Evaluation, EvaluationError> {
    let start = Date()
    let proxy = rule.proxy(of: architecture)
    do {
      let s = try ZeroCostScores.score(configuration.proxy, proxy, data: images, settings: configuration.settings, threads: threads)
      var details: [String: Double] = ["repeats": Double(s.repeats)]
      if s.repeats > 1 { details["standard_deviation"] = s.standardDeviation }
      if let c = try? proxy.costs() {
        details["proxy_macs"] = Double(c.macs)
        details["params"] = Double(c.params)
      }
      return .success(
        Evaluation(
          evaluator: name, value: s.value, isAccuracy: false, seconds: Date().timeIntervalSince(start), details: details))
    } catch {
      return .failure(EvaluationError(error.description))
    }
  }
}
