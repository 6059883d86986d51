import Foundation
import NASSpace
import XCTest

@testable import NASNetAdapt

/// NetAdapt's files and per-iteration folder are named after the database, so two databases
/// in one folder do not overwrite each other's.
final class OutputNameTests: XCTestCase {
  func testFilesAreNamedAfterTheDatabase() throws {
    let seed = try DSL.parseArchitecture(ResumeTests.seedText, file: "seed")
    func stem(_ database: String) -> String {
      NetAdaptRunner(request: NetAdaptRequest(seedPath: "seed.arch", seed: seed, settings: NetAdaptSettings(), databasePath: database))
        .outputStem(run: 3)
    }
    XCTAssertEqual(stem("results/nas.sqlite"), "nas-netadapt-run-3")
    XCTAssertEqual(stem("results/other.sqlite"), "other-netadapt-run-3")
  }
}
