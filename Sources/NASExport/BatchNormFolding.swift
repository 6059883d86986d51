import NASTrain

/// Batch norm's inference form as a per-channel scale and shift, and folded into the layer
/// before or after it, as deployment runtimes want it.
struct BatchNormTensors {
  var gamma: [Float]
  var beta: [Float]
  var mean: [Float]
  var variance: [Float]
  /// The training engine's epsilon (PyTorch's default).
  static let epsilon = 1e-5

  /// `y = x · scale + shift`, computed in double precision.
  var scaleAndShift: (scale: [Double], shift: [Double]) {
    var scale = [Double](repeating: 0, count: gamma.count), shift = scale
    for c in gamma.indices {
      let s = Double(gamma[c]) / (Double(variance[c]) + Self.epsilon).squareRoot()
      scale[c] = s
      shift[c] = Double(beta[c]) - Double(mean[c]) * s
    }
    return (scale, shift)
  }

  /// A convolution's weights [out, in/groups, k, k] and bias with this batch norm after it
  /// folded in.
  func foldAfter(weights: [Float], outChannels: Int) -> (weights: [Float], bias: [Float]) {
    let (scale, shift) = scaleAndShift
    let per = weights.count / outChannels
    var w = weights
    for o in 0..<outChannels {
      for i in 0..<per { w[o * per + i] = Float(Double(weights[o * per + i]) * scale[o]) }
    }
    return (w, shift.map(Float.init))
  }

  /// A fully connected layer's weights [out, in] and bias with this batch norm before it
  /// folded in: W·(x·s + t) + b = (W·diag(s))·x + (W·t + b).
  func foldBefore(weights: [Float], bias: [Float], inFeatures: Int) -> (weights: [Float], bias: [Float]) {
    let (scale, shift) = scaleAndShift
    let out = bias.count
    var w = weights
    var b = bias.map(Double.init)
    for o in 0..<out {
      for i in 0..<inFeatures {
        let v = Double(weights[o * inFeatures + i])
        w[o * inFeatures + i] = Float(v * scale[i])
        b[o] += v * shift[i]
      }
    }
    return (w, b.map(Float.init))
  }
}

extension ExportSource {
  /// The batch-norm tensors under `prefix` (`units.3.layers.1.bn`).
  func batchNorm(_ prefix: String) throws(ExportError) -> BatchNormTensors {
    BatchNormTensors(
      gamma: try tensor(prefix + ".weight").values, beta: try tensor(prefix + ".bias").values,
      mean: try tensor(prefix + ".running_mean").values, variance: try tensor(prefix + ".running_var").values)
  }
}
