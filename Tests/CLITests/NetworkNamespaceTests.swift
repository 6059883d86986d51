import Foundation
import XCTest

/// `nas search --queue` with `nas worker`s in two network namespaces that reach PostgreSQL only
/// over their own veth links, as workers on other machines would, including one killed
/// mid-evaluation: a thin wrapper around scripts/netns-workers-check.sh, which sets everything
/// up, checks, and removes it. Skipped where network namespaces cannot be made (not root, no
/// CAP_NET_ADMIN) or PostgreSQL is not installed; takes about a minute and a half.
final class NetworkNamespaceTests: XCTestCase {
  func testWorkersInNetworkNamespacesRecordEveryTrialOnceAndTakeOverAKilledWorkersCandidate() throws {
    let script = CommandRunner.root.appendingPathComponent("scripts/netns-workers-check.sh")
    let r = try CommandRunner.run([script.path, CommandRunner.binary.path], executable: URL(fileURLWithPath: "/bin/bash"))
    if r.status == 77 {
      let reason = r.stderr.split(separator: "\n").last { $0.contains("skipped:") }.map(String.init) ?? r.stderr
      throw XCTSkip(reason)
    }
    XCTAssertEqual(r.status, 0, "scripts/netns-workers-check.sh failed:\n\(r.stdout)\n\(r.stderr)")
  }
}
