import Foundation
import NASSupport

/// Where training data comes from: the Fashion-MNIST package Debian installs, or a directory
/// holding IDX files (MNIST, Fashion-MNIST) or the CIFAR-10 binary batches.
public enum DataSource: Hashable, Sendable, CustomStringConvertible {
  case fashionMNIST
  case directory(String)
  /// Random images and labels (`random:32x32x3`) for throughput measurements only.
  case random(height: Int, width: Int, channels: Int)

  /// Where Debian's `dataset-fashion-mnist` puts the files.
  public static let fashionMNISTDirectory = "/usr/share/datasets/fashion-mnist"
  /// Images held out of the training files for validation.
  public static let defaultValidationCount = 5000
  /// Seed of the validation hold-out (fixed: the split is part of the data set, not of a run).
  public static let validationSeed: UInt64 = 0x5EED_0F_DA7A

  /// Training images of a `random:` source besides its validation hold-out, and its test images.
  public static let randomImages = (training: 10_000, test: 1000)
  /// The most bytes of pixels a `random:` source may generate (all its images together): 4 GiB,
  /// beyond which the allocation fails or the machine swaps (the split copies them once more).
  public static let randomPixelLimit = 1 << 32

  /// Why this source cannot be loaded with `validationCount` images held out, found without
  /// loading anything (only a `random:` source's size is known in advance); nil when nothing is.
  public func sizeProblem(validationCount: Int) -> String? {
    guard case .random(let h, let w, let c) = self else { return nil }
    let (images, tooMany) = (Self.randomImages.training + Self.randomImages.test).addingReportingOverflow(max(0, validationCount))
    let (bytes, tooLarge) = images.multipliedReportingOverflow(by: h * w * c)
    let overflow = tooMany || tooLarge
    guard overflow || bytes > Self.randomPixelLimit else { return nil }
    return "\(description) with \(validationCount) validation images would generate "
      + (overflow ? "more bytes of pixels than a machine holds" : "\(gibibytes(bytes)) GiB of pixels")
      + ", above the limit of \(gibibytes(Self.randomPixelLimit)) GiB; use smaller images (random:32x32x3 is CIFAR-sized)"
  }

  private func gibibytes(_ bytes: Int) -> String { Format.fixed(Double(bytes) / Double(1 << 30), 1) }

  /// `fashion-mnist`, `random:HxWxC` or a directory path.
  public init(argument: String) {
    if argument == "fashion-mnist" {
      self = .fashionMNIST
    } else if argument.hasPrefix("random:") {
      let dims = argument.dropFirst(7).split(separator: "x").compactMap { Int($0) }
      if dims.count == 3, dims.allSatisfy({ $0 >= 1 && $0 <= 4096 }) {
        self = .random(height: dims[0], width: dims[1], channels: dims[2])
      } else {
        self = .directory(argument)
      }
    } else {
      self = .directory(argument)
    }
  }

  public var description: String {
    switch self {
    case .fashionMNIST: return "fashion-mnist"
    case .directory(let p): return p
    case .random(let h, let w, let c): return "random:\(h)x\(w)x\(c)"
    }
  }

  /// Reads the data and holds out `validationCount` training images.
  public func load(validationCount: Int = DataSource.defaultValidationCount) throws(DataError) -> DataSplits {
    switch self {
    case .fashionMNIST:
      let dir = Self.fashionMNISTDirectory
      guard Self.idxFiles(in: dir) != nil else {
        throw .missing(
          what: "Fashion-MNIST", path: dir,
          hint: "install it with `apt-get install dataset-fashion-mnist`, or pass --data DIR with IDX or CIFAR-10 files")
      }
      return try Self.loadIDX(dir, name: "fashion-mnist", validationCount: validationCount)
    case .random(let h, let w, let c):
      if let problem = sizeProblem(validationCount: validationCount) { throw .invalidSetting(problem) }
      let train = Self.randomImages.training + validationCount, test = Self.randomImages.test
      var rng = SeededGenerator(seed: 1)
      // Eight pixels per draw: 34 MB of CIFAR-sized pixels in well under a second even unoptimised.
      func bytes(_ n: Int) -> [UInt8] {
        var pixels = [UInt8](repeating: 0, count: n)
        pixels.withUnsafeMutableBytes { raw in
          var i = 0
          while i + 8 <= n {
            raw.storeBytes(of: rng.next(), toByteOffset: i, as: UInt64.self)
            i += 8
          }
          var last = rng.next()
          while i < n {
            raw[i] = UInt8(truncatingIfNeeded: last)
            last >>= 8
            i += 1
          }
        }
        return pixels
      }
      let px = bytes(train * h * w * c), labels = (0..<train).map { _ in UInt8(rng.uniform(below: 10)) }
      let tpx = bytes(test * h * w * c), tl = (0..<test).map { _ in UInt8(rng.uniform(below: 10)) }
      return try Self.split(
        name: description, source: description, height: h, width: w, channels: c, trainPixels: px, trainLabels: labels,
        testPixels: tpx, testLabels: tl, validationCount: validationCount)
    case .directory(let dir):
      var isDir: ObjCBool = false
      guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
        throw .missing(what: "data directory", path: dir, hint: "pass --data fashion-mnist or a directory of IDX or CIFAR-10 binary files")
      }
      if Self.idxFiles(in: dir) != nil {
        let base = URL(fileURLWithPath: dir).lastPathComponent.lowercased()
        return try Self.loadIDX(dir, name: base.isEmpty ? "idx" : base, validationCount: validationCount)
      }
      for candidate in [dir, dir + "/cifar-10-batches-bin"] where Self.cifarFiles(in: candidate) != nil {
        return try Self.loadCIFAR(candidate, validationCount: validationCount)
      }
      throw .missing(
        what: "IDX or CIFAR-10 files", path: dir,
        hint: "expected train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz], or data_batch_1.bin … data_batch_5.bin and test_batch.bin")
    }
  }

  static func find(_ dir: String, _ stem: String) -> String? {
    for name in [stem + ".gz", stem] {
      let p = dir + "/" + name
      if FileManager.default.fileExists(atPath: p) { return p }
    }
    return nil
  }

  static func idxFiles(in dir: String) -> [String]? {
    let stems = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
    let found = stems.compactMap { find(dir, $0) }
    return found.count == 4 ? found : nil
  }

  static func cifarFiles(in dir: String) -> [String]? {
    let names = (1...5).map { "data_batch_\($0).bin" } + ["test_batch.bin"]
    let paths = names.map { dir + "/" + $0 }
    return paths.allSatisfy { FileManager.default.fileExists(atPath: $0) } ? paths : nil
  }

  static func loadIDX(_ dir: String, name: String, validationCount: Int) throws(DataError) -> DataSplits {
    guard let files = idxFiles(in: dir) else { throw .missing(what: "IDX files", path: dir, hint: "check the directory") }
    func images(_ path: String) throws(DataError) -> (n: Int, h: Int, w: Int, data: [UInt8]) {
      let f = try IDXFile.read(path: path)
      guard f.dimensions.count == 3 else {
        throw .foreign(path: path, detail: "an image file has 3 dimensions (count, rows, columns), this one \(f.dimensions.count)")
      }
      return (f.dimensions[0], f.dimensions[1], f.dimensions[2], f.data)
    }
    func labels(_ path: String) throws(DataError) -> [UInt8] {
      let f = try IDXFile.read(path: path)
      guard f.dimensions.count == 1 else {
        throw .foreign(path: path, detail: "a label file has 1 dimension, this one \(f.dimensions.count)")
      }
      if let bad = f.data.first(where: { $0 > 9 }) { throw .foreign(path: path, detail: "label \(bad) outside 0...9") }
      return f.data
    }
    let train = try images(files[0]), trainLabels = try labels(files[1])
    let test = try images(files[2]), testLabels = try labels(files[3])
    guard train.n == trainLabels.count else {
      throw .inconsistent("\(files[0]) has \(train.n) images but \(files[1]) has \(trainLabels.count) labels")
    }
    guard test.n == testLabels.count else {
      throw .inconsistent("\(files[2]) has \(test.n) images but \(files[3]) has \(testLabels.count) labels")
    }
    guard train.h == test.h, train.w == test.w else {
      throw .inconsistent("training images are \(train.h)x\(train.w), test images \(test.h)x\(test.w)")
    }
    return try split(
      name: name, source: "\(name) (\(dir))", height: train.h, width: train.w, channels: 1, trainPixels: train.data,
      trainLabels: trainLabels, testPixels: test.data, testLabels: testLabels, validationCount: validationCount)
  }

  static func loadCIFAR(_ dir: String, validationCount: Int) throws(DataError) -> DataSplits {
    guard let files = cifarFiles(in: dir) else { throw .missing(what: "CIFAR-10 files", path: dir, hint: "check the directory") }
    var pixels: [UInt8] = [], labels: [UInt8] = []
    for f in files.dropLast() {
      let (p, l) = try CIFARReader.read(path: f)
      pixels += p
      labels += l
    }
    let (tp, tl) = try CIFARReader.read(path: files.last!)
    return try split(
      name: "cifar-10", source: "cifar-10 (\(dir))", height: 32, width: 32, channels: 3, trainPixels: pixels,
      trainLabels: labels, testPixels: tp, testLabels: tl, validationCount: validationCount)
  }

  static func split(
    name: String, source: String, height: Int, width: Int, channels: Int, trainPixels: [UInt8], trainLabels: [UInt8],
    testPixels: [UInt8], testLabels: [UInt8], validationCount: Int
  ) throws(DataError) -> DataSplits {
    let n = trainLabels.count
    guard validationCount >= 1, validationCount < n else {
      throw .invalidSetting("a validation split of \(validationCount) images needs 1 to \(n - 1) (the training files hold \(n))")
    }
    let stats = Dataset.statistics(pixels: trainPixels, channels: channels)
    let all = Dataset(
      name: name, height: height, width: width, channels: channels, classes: 10, pixels: trainPixels, labels: trainLabels,
      mean: stats.mean, std: stats.std)
    var order = Array(0..<n)
    var rng = SeededGenerator(seed: validationSeed)
    rng.shuffle(&order)
    let validation = all.subset(Array(order[..<validationCount]).sorted(), name: name + " validation")
    let train = all.subset(Array(order[validationCount...]).sorted(), name: name + " train")
    var test = all
    test.name = name + " test"
    test.pixels = testPixels
    test.labels = testLabels
    return DataSplits(train: train, validation: validation, test: test, source: source)
  }
}
