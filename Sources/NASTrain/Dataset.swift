import NASSupport

/// Labelled images held as bytes (NHWC) with the per-channel mean and standard deviation
/// used to normalise them as batches are drawn.
public struct Dataset: Sendable {
  public var name: String
  public var height: Int
  public var width: Int
  public var channels: Int
  public var classes: Int
  public var pixels: [UInt8]
  public var labels: [UInt8]
  /// Per-channel mean and standard deviation of the training split, in [0, 1] units.
  public var mean: [Double]
  public var std: [Double]

  public var count: Int { labels.count }
  public var sampleSize: Int { height * width * channels }

  /// The samples at `indices`, in that order.
  public func subset(_ indices: [Int], name: String? = nil) -> Dataset {
    var copy = self
    copy.name = name ?? self.name
    copy.labels = indices.map { labels[$0] }
    var p = [UInt8]()
    p.reserveCapacity(indices.count * sampleSize)
    for i in indices { p.append(contentsOf: pixels[(i * sampleSize)..<((i + 1) * sampleSize)]) }
    copy.pixels = p
    return copy
  }

  /// Writes normalised samples `indices` (NHWC) and their labels.
  func gather<T: TrainScalar>(_ indices: ArraySlice<Int>, into x: UnsafeMutablePointer<T>, labels y: UnsafeMutablePointer<Int32>) {
    let s = sampleSize, C = channels
    var scale = [T](repeating: 0, count: C), shift = [T](repeating: 0, count: C)
    for c in 0..<C {
      scale[c] = T(1 / (255 * std[c]))
      shift[c] = T(-mean[c] / std[c])
    }
    for (j, i) in indices.enumerated() {
      y[j] = Int32(labels[i])
      let src = i * s, dst = j * s
      pixels.withUnsafeBufferPointer { px in
        for k in 0..<s {
          let c = k % C
          x[dst + k] = T(Double(px[src + k])) * scale[c] + shift[c]
        }
      }
    }
  }

  static func statistics(pixels: [UInt8], channels: Int) -> (mean: [Double], std: [Double]) {
    var mean = [Double](repeating: 0, count: channels), std = [Double](repeating: 1, count: channels)
    pixels.withUnsafeBufferPointer { px in
      let n = px.count / max(1, channels)
      guard n > 0 else { return }
      for c in 0..<channels {
        // Integer sums are exact and fast even in debug builds.
        var sum = 0, sq = 0
        var k = c
        while k < px.count {
          let v = Int(px[k])
          sum += v
          sq += v * v
          k += channels
        }
        let m = Double(sum) / Double(n) / 255
        mean[c] = m
        std[c] = max(1e-3, (Double(sq) / Double(n) / 65025 - m * m).squareRoot())
      }
    }
    return (mean, std)
  }
}

/// Training, validation and test sets. The validation split is held out from the training
/// files with a fixed seed, so every evaluator and every run scores on the same images, and
/// search and NetAdapt never see the test files.
public struct DataSplits: Sendable {
  public var train: Dataset
  public var validation: Dataset
  public var test: Dataset
  /// What was read, for records and messages (`fashion-mnist (/usr/share/datasets/fashion-mnist)`).
  public var source: String
}
