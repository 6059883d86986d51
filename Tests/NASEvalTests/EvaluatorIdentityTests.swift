import NASEval
import XCTest

/// A queued search records the evaluator's identity without building it; that identity must be
/// the one the built evaluator (a worker's) records, or results would not be reused across them.
final class EvaluatorIdentityTests: XCTestCase {
  func testTheIdentityWithoutDataIsTheBuiltEvaluatorsOwn() throws {
    var options = EvaluatorFactory.Options()
    options.data = "random:8x8x1"
    options.threads = 1
    for spec in ["train", "zen", "naswot", "synflow", "cmd:./train.sh --fast"] {
      let built = try EvaluatorFactory.make(spec, options: options)
      let identity = try EvaluatorFactory.identity(spec, options: options)
      XCTAssertEqual(identity, EvaluatorIdentity(name: built.name, configurationJSON: built.configurationJSON, givesAccuracy: built.givesAccuracy), spec)
    }
    XCTAssertThrowsError(try EvaluatorFactory.identity("nonsense")) { XCTAssert("\($0)".contains("unknown evaluator"), "\($0)") }
  }

  func testNoDataIsNeededForTheIdentity() throws {
    var options = EvaluatorFactory.Options()
    options.data = "/nonexistent/data"
    XCTAssertThrowsError(try EvaluatorFactory.make("train", options: options))
    XCTAssertEqual(try EvaluatorFactory.identity("train", options: options).name, "train")
  }
}
