/// Softmax cross-entropy against labels smoothed towards the uniform distribution:
/// target = (1 − ε)·onehot + ε/K.
enum SoftmaxCrossEntropy {
  /// Mean loss over the batch and the number of correct top-1 predictions; writes
  /// d(mean loss)/d(logits) into `gradient`.
  static func evaluate<T: TrainScalar>(
    logits: UnsafePointer<T>, labels: UnsafePointer<Int32>, batch: Int, classes K: Int, smoothing: Double,
    gradient: UnsafeMutablePointer<T>?
  ) -> (loss: Double, correct: Int) {
    var total = 0.0
    var correct = 0
    let off = smoothing / Double(K)
    var p = [Double](repeating: 0, count: K)
    for i in 0..<batch {
      let row = logits + i * K
      var best = 0
      var maxValue = Double(row[0])
      for k in 1..<max(1, K) where Double(row[k]) > maxValue {
        maxValue = Double(row[k])
        best = k
      }
      let label = Int(labels[i])
      if best == label { correct += 1 }
      var sum = 0.0
      for k in 0..<K {
        p[k] = Double.exponential(Double(row[k]) - maxValue)
        sum += p[k]
      }
      let logSum = Double.logarithm(sum)
      for k in 0..<K {
        let target = (k == label ? 1 - smoothing : 0) + off
        let logp = Double(row[k]) - maxValue - logSum
        total -= target * logp
        if let gradient { gradient[i * K + k] = T((p[k] / sum - target) / Double(batch)) }
      }
    }
    return (total / Double(max(1, batch)), correct)
  }
}
