import Foundation
import XCTest

@testable import NASNetAdapt

/// The further-training command carries the run's settings that `nas train` would otherwise
/// default differently, and quotes only the words a shell would split or expand.
final class FurtherTrainingTests: XCTestCase {
  func testDefaultsGiveTheLearningRateAndDownsamplingOnly() {
    XCTAssertEqual(
      FurtherTraining.command(
        architecture: "results/nas-netadapt-run-2.arch", weights: "results/nas-netadapt-run-2.safetensors", settings: NetAdaptSettings()),
      "nas train results/nas-netadapt-run-2.arch --weights results/nas-netadapt-run-2.safetensors --epochs 3 --lr 0.05 "
        + "--max-downsampling 32 --save results/nas-netadapt-run-2-3ep.safetensors")
  }

  func testOtherSettingsAndAwkwardPathsComeThrough() {
    var s = NetAdaptSettings()
    s.data = "/data/my cifar"
    s.batchSize = 64
    s.seed = 7
    s.learningRate = 0.02
    s.maxDownsampling = 8
    XCTAssertEqual(
      FurtherTraining.command(architecture: "out/it's.arch", weights: "out/w", settings: s),
      "nas train 'out/it'\\''s.arch' --weights out/w --epochs 3 --lr 0.02 --max-downsampling 8 --data '/data/my cifar' "
        + "--batch-size 64 --seed 7 --save out/w-3ep.safetensors")
  }
}
