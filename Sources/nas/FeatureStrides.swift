import ArgumentParser

/// `--features 8,16,32`: the strides of the feature maps a detector taps.
struct FeatureStrides: ExpressibleByArgument, Sendable {
  var strides: [Int]

  init?(argument: String) {
    let parts = argument.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else { return nil }
    strides = parts.map { $0! }
  }

  /// Positive powers of two, none twice; checked in `validate()` so the message can say so.
  func check(_ option: String = "--features") throws {
    guard strides.allSatisfy({ $0 >= 1 && $0 <= 1 << 12 && $0 & ($0 - 1) == 0 }) else {
      throw ValidationError("\(option) takes strides that are powers of two, such as 8,16,32; got \(strides.map(String.init).joined(separator: ","))")
    }
    guard Set(strides).count == strides.count else { throw ValidationError("\(option) names a stride twice") }
  }
}
