import Foundation
import NASSupport

/// Which hashes recorded with a run name a given space.
///
/// A space's identity is ``SearchSpace/contentHash``, the SHA-256 of its canonical text. Until
/// the canonical text existed, runs recorded the SHA-256 of the file's text instead
/// (``SearchSpace/sourceTextHash``). Such a run still names the space when its hash is
///  - the text hash of the file as it is now (a file unchanged since the run), or
///  - the text hash of a shipped space as it was before it was rewritten with `let` groups,
///    whose canonical text is the current one (``legacySourceHashes``).
public enum SpaceIdentity {
  /// The text hashes of shipped `.space` files before they were rewritten with `let` groups,
  /// each with the content hash of that old text. The rewrite changed the files' text but
  /// not the spaces (the canonical text, and so the content hash, is the same, which
  /// `SpaceLetTests` checks), so a search run recorded with the old text hash may be resumed
  /// with the new file. Computed as `git show <commit>:search-spaces/X.space | sha256sum`
  /// (the files have LF line ends, which is how the hash normalised them). Only shipped
  /// files are listed: a user's own file keeps its text hash until it is edited.
  public static let legacySourceHashes: [String: (file: String, contentHash: String)] = [
    // search-spaces/mnasnet.space at 885d808, before `let mnas = ...`.
    "5c42fa817e4f48bdf06df4d2a8d709c35a9a8191cd16280d95c966b5043e5417": (
      "mnasnet.space", "9fdfb9f67957b578edda46216e45f09e46d5e1be51aff7539b9365bf2aeb033e"
    ),
    // search-spaces/mobilenetv3.space at 885d808, before `let stage = ...`.
    "38f7c0bc7c93600bdf3d36c9fe030f471234906280e77dc6ee47582fb0624a7b": (
      "mobilenetv3.space", "e3311634b01cf0ddb36943a17c61bd2554294590e8865fdd9ed5586eb3775022"
    ),
  ]

  /// SHA-256 of a file's text with its line ends normalised to LF: the hash runs recorded
  /// before the canonical text.
  public static func sourceTextHash(_ text: String) -> String {
    SHA256.hex(Lexer.normalizingLineEnds(text))
  }

  /// True when `recorded` (a hash stored with a run) names `space`: its content hash, the
  /// text hash it was parsed from, or an old shipped text with the same content.
  public static func names(_ space: SearchSpace, recorded: String) -> Bool {
    let content = space.contentHash
    return recorded == content || recorded == space.sourceTextHash || legacySourceHashes[recorded]?.contentHash == content
  }

  /// True when `recorded` names the space whose content hash is `contentHash`, loaded from
  /// `path`. For callers that kept only the hash: the file is read (and then parsed) only
  /// when `recorded` is neither the content hash nor a legacy hash, to compare its text hash;
  /// the parse checks that the file still has that content.
  public static func names(contentHash: String, path: String, recorded: String) -> Bool {
    if recorded == contentHash || legacySourceHashes[recorded]?.contentHash == contentHash { return true }
    guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8),
      sourceTextHash(text) == recorded
    else { return false }
    guard let space = try? DSL.parseSpace(text, file: path) else { return false }
    return space.contentHash == contentHash
  }
}
