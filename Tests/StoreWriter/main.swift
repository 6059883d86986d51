import Foundation
import NASArch
import NASStore

// The tests' database writer: writes rows as fast as it can, printing `committed N` after each
// (the multi-process tests count and kill on them), and makes the `nas db` tests' fixture.
// Accuracy and latency follow the row number (a cycle of ten, the second ten slower) so
// orderings and the Pareto front have something to show.
//
//   nas-test-writer --db PATH [--rows N] [--tag NAME]

var options = ["--rows": "100", "--tag": "w"]
var arguments = CommandLine.arguments.dropFirst()
while let key = arguments.popFirst() {
  guard ["--db", "--rows", "--tag"].contains(key), let value = arguments.popFirst() else {
    FileHandle.standardError.write(Data("usage: nas-test-writer --db PATH [--rows N] [--tag NAME]\n".utf8))
    exit(64)
  }
  options[key] = value
}
guard let db = options["--db"], let rows = Int(options["--rows"]!), let tag = options["--tag"] else {
  FileHandle.standardError.write(Data("usage: nas-test-writer --db PATH [--rows N] [--tag NAME]\n".utf8))
  exit(64)
}

do {
  let store = try ResultsStore.open(path: db)
  let runID = try store.createRun(
    kind: .bench, name: tag, commandLine: "nas-test-writer", parametersJSON: "{}", spacePath: nil, spaceHash: nil,
    seed: nil, toolVersion: "test", deviceProfile: nil)
  for i in 0..<rows {
    let arch = Architecture(
      inputSize: 8 + i % 64, inputChannels: 3, classes: 4,
      units: [
        Unit(role: .stem, op: .conv, kernel: 3, stride: 2, outChannels: 8, activation: .relu),
        Unit(role: .head, op: .pool), Unit(role: .classifier, op: .classifier, outChannels: 4, normalization: .none),
      ])
    let accuracy = Double(50 + 4 * (i % 10)) / 100
    let latency = Double(2 + 2 * (i % 10) + i / 10 % 2) / 2
    let id = try store.beginEvaluation(
      run: runID, architecture: arch, trial: i + 1, evaluator: "test", evaluatorConfigJSON: "{}", predictedLatencyMs: latency,
      deviceProfile: nil)
    try store.finishEvaluation(
      id, .init(status: .ok, accuracy: accuracy, reward: accuracy - latency / 100, message: nil, reused: false, wallSeconds: 0))
    FileHandle.standardOutput.write(Data("committed \(i + 1)\n".utf8))
  }
} catch {
  FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
  exit(1)
}
