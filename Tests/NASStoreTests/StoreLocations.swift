import Foundation

/// New, empty places for a store under test.
enum StoreLocations {
  /// A path to a new SQLite file in a new temporary folder.
  static func newSQLiteFile() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nas-store-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent("nas.sqlite").path
  }
}
