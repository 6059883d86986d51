/// The accuracy–latency Pareto front: the points no other point beats on both (higher or
/// equal accuracy at lower or equal latency, better on at least one). Shared by `nas db
/// pareto` and the search's summary and plot.
public enum ParetoFront {
  /// Indices of `points` (latency, accuracy) on the front, by increasing latency.
  public static func indices(_ points: [(latency: Double, accuracy: Double)]) -> [Int] {
    let order = points.indices.sorted {
      points[$0].latency != points[$1].latency ? points[$0].latency < points[$1].latency : points[$0].accuracy > points[$1].accuracy
    }
    var front: [Int] = []
    var bestAccuracy = -Double.infinity
    for i in order where points[i].accuracy > bestAccuracy {
      front.append(i)
      bestAccuracy = points[i].accuracy
    }
    return front
  }
}
