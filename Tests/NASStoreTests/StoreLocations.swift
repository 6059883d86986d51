import Foundation
import NASArch

/// New, empty places for a store under test.
enum StoreLocations {
  /// A path to a new SQLite file in a new temporary folder.
  static func newSQLiteFile() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nas-store-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent("nas.sqlite").path
  }
}

/// A tiny network whose input size makes it distinct: one architecture per size, for tests that
/// record evaluations.
func smallArchitecture(_ size: Int) -> Architecture {
  Architecture(
    inputSize: size, inputChannels: 3, classes: 4,
    units: [
      Unit(role: .stem, op: .conv, kernel: 3, stride: 2, outChannels: 8, activation: .relu),
      Unit(role: .head, op: .pool), Unit(role: .classifier, op: .classifier, outChannels: 4, normalization: .none),
    ])
}
