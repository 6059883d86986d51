import Foundation
import NASArch
import NASSpace

/// The stored form of a fitted predictor (JSON in the `latency_models` table).
struct PredictorFile: Codable {
  var format: Int
  var profile: DeviceProfile
  var table: [String: Double]
  var model: UnitLatencyModel
  var overhead: NetworkOverhead
  var sampleCount: Int
}

extension LatencyPredictor {
  /// JSON for storage.
  public func json() throws -> String {
    let file = PredictorFile(
      format: 1, profile: profile, table: Dictionary(uniqueKeysWithValues: table.map { (UnitKey.text($0.key), $0.value) }),
      model: model, overhead: overhead, sampleCount: sampleCount)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return String(decoding: try encoder.encode(file), as: UTF8.self)
  }

  /// Reads a stored predictor back.
  public static func decode(json: String) throws(LatencyError) -> LatencyPredictor {
    let file: PredictorFile
    do { file = try JSONDecoder().decode(PredictorFile.self, from: Data(json.utf8)) } catch {
      throw .invalidArgument("the stored latency model cannot be read (\(error)); run 'nas latency fit' again")
    }
    guard file.format == 1 else { throw .invalidArgument("the stored latency model has format \(file.format); run 'nas latency fit' again") }
    var table: [UnitConfiguration: Double] = [:]
    table.reserveCapacity(file.table.count)
    for (key, value) in file.table { table[try UnitKey.parse(key)] = value }
    return LatencyPredictor(profile: file.profile, table: table, model: file.model, overhead: file.overhead, sampleCount: file.sampleCount)
  }
}
