import Foundation
import NASArch
import NASSpace
import NASSupport
import XCTest

/// `let` groups, the canonical text of a space and its content hash, and the shipped spaces
/// rewritten with groups: the same spaces as before the rewrite (text, hash, size,
/// decisions, samples), with the errors of the new statement.
final class SpaceLetTests: XCTestCase {
  // MARK: - The shipped spaces before the rewrite (git show 885d808:search-spaces/X.space)

  static let oldMnasNet = """
    # MnasNet's factorized hierarchical search space (Tan et al. 2019, section 4.1).
    # Seven blocks between a fixed stem and head, laid out as MobileNetV2 (widths 16..320,
    # depths 1,2,3,4,3,3,1, first strides 1,2,2,2,1,2,1). Each block chooses one layer design that
    # all its layers share: the op (regular conv, depthwise-separable conv, MBConv), the kernel,
    # the MBConv expansion, squeeze-excite, the skip, a width factor on MobileNetV2's width and a
    # depth delta. 3 x 2 x 2 x 2 x 2 x 3 x 3 = 432 options per block, as in the paper; the size
    # `nas space show` prints counts distinct networks (options that coincide count once).
    # Squeeze-excite follows MnasNet's code: int(input channels x 0.25) with a sigmoid gate.
    name mnasnet
    input 224 channels=3
    classes 1000
    divisor 8

    stem conv k=3 s=2 out=32 act=relu
    block op={conv,sepconv,mbconv} k={3,5} expand={3,6} se={0,0.25} skip={none,identity} width={0.75,1,1.25} depth={-1,0,1} s=1 out=16 repeat=1 act=relu se-ref=input se-divisor=1 se-gate=sigmoid
    block op={conv,sepconv,mbconv} k={3,5} expand={3,6} se={0,0.25} skip={none,identity} width={0.75,1,1.25} depth={-1,0,1} s=2 out=24 repeat=2 act=relu se-ref=input se-divisor=1 se-gate=sigmoid
    block op={conv,sepconv,mbconv} k={3,5} expand={3,6} se={0,0.25} skip={none,identity} width={0.75,1,1.25} depth={-1,0,1} s=2 out=32 repeat=3 act=relu se-ref=input se-divisor=1 se-gate=sigmoid
    block op={conv,sepconv,mbconv} k={3,5} expand={3,6} se={0,0.25} skip={none,identity} width={0.75,1,1.25} depth={-1,0,1} s=2 out=64 repeat=4 act=relu se-ref=input se-divisor=1 se-gate=sigmoid
    block op={conv,sepconv,mbconv} k={3,5} expand={3,6} se={0,0.25} skip={none,identity} width={0.75,1,1.25} depth={-1,0,1} s=1 out=96 repeat=3 act=relu se-ref=input se-divisor=1 se-gate=sigmoid
    block op={conv,sepconv,mbconv} k={3,5} expand={3,6} se={0,0.25} skip={none,identity} width={0.75,1,1.25} depth={-1,0,1} s=2 out=160 repeat=3 act=relu se-ref=input se-divisor=1 se-gate=sigmoid
    block op={conv,sepconv,mbconv} k={3,5} expand={3,6} se={0,0.25} skip={none,identity} width={0.75,1,1.25} depth={-1,0,1} s=1 out=320 repeat=1 act=relu se-ref=input se-divisor=1 se-gate=sigmoid
    head conv k=1 out=1280 act=relu scale=no
    head pool
    classifier dropout=0.2

    """

  static let oldMobileNetV3 = """
    # A MobileNetV3-Large-like space: MobileNetV3-Large's stem, stages and pooled head, with each
    # stage choosing its kernel, an absolute expansion width (around the table's values),
    # squeeze-excite, its activation (ReLU or h-swish), the skip, a width factor and a depth delta,
    # shared by the stage's layers. Squeeze-excite is a quarter of the expanded channels rounded to
    # 8 with a hard-sigmoid gate, as in MobileNetV3.
    name mobilenetv3
    input 224 channels=3
    classes 1000
    divisor 8

    stem conv k=3 s=2 out=16 act=hswish
    block mbconv k=3 s=1 mid=16 out=16 act=relu skip=identity
    block mbconv k={3,5} s=2 out=24 repeat=2 mid={48,64,72} se={0,0.25} act={relu,hswish} skip={none,identity} width={0.75,1,1.25} depth={-1,0,1}
    block mbconv k={3,5} s=2 out=40 repeat=3 mid={72,120,160} se={0,0.25} act={relu,hswish} skip={none,identity} width={0.75,1,1.25} depth={-1,0,1}
    block mbconv k={3,5} s=2 out=80 repeat=4 mid={184,240,320} se={0,0.25} act={relu,hswish} skip={none,identity} width={0.75,1,1.25} depth={-1,0,1}
    block mbconv k={3,5} s=1 out=112 repeat=2 mid={336,480,672} se={0,0.25} act={relu,hswish} skip={none,identity} width={0.75,1,1.25} depth={-1,0,1}
    block mbconv k={3,5} s=2 out=160 repeat=3 mid={480,672,960} se={0,0.25} act={relu,hswish} skip={none,identity} width={0.75,1,1.25} depth={-1,0,1}
    head conv k=1 out=960 act=hswish
    head pool
    head conv k=1 out=1280 act=hswish bn=none scale=no
    classifier dropout=0.2

    """

  static let rewritten: [(file: String, old: String)] = [("mnasnet.space", oldMnasNet), ("mobilenetv3.space", oldMobileNetV3)]

  func path(_ file: String) -> String { Fixtures.spacesDirectory.appendingPathComponent(file).path }

  func testTheEmbeddedOldTextsAreTheRecordedOnes() {
    // The legacy table names these texts by the hash runs recorded; a changed literal fails here.
    XCTAssertEqual(SpaceIdentity.sourceTextHash(Self.oldMnasNet), "5c42fa817e4f48bdf06df4d2a8d709c35a9a8191cd16280d95c966b5043e5417")
    XCTAssertEqual(SpaceIdentity.sourceTextHash(Self.oldMobileNetV3), "38f7c0bc7c93600bdf3d36c9fe030f471234906280e77dc6ee47582fb0624a7b")
    XCTAssertEqual(SpaceIdentity.legacySourceHashes.count, 2)
  }

  func testRewrittenShippedSpacesAreUnchanged() throws {
    for (file, oldText) in Self.rewritten {
      let p = path(file)
      let newText = Fixtures.text(p)
      XCTAssertTrue(newText.contains("\nlet "), "\(file) should use a let group")
      XCTAssertTrue(newText.contains("use="), file)
      XCTAssertLessThan(newText.count, oldText.count, file)
      let new = try DSL.parseSpace(newText, file: p)
      let old = try DSL.parseSpace(oldText, file: p)
      XCTAssertEqual(new.canonicalText(), old.canonicalText(), file)
      XCTAssertEqual(new.contentHash, old.contentHash, file)
      XCTAssertNotEqual(new.sourceTextHash, old.sourceTextHash, file)
      XCTAssertEqual(try new.size(), try old.size(), file)
      XCTAssertEqual(try new.size().description, try old.size().description, file)
      XCTAssertEqual(new.decisions.count, old.decisions.count, file)
      XCTAssertEqual(new.decisions.map(\.name), old.decisions.map(\.name), file)
      XCTAssertEqual(new.decisions.map(\.labels), old.decisions.map(\.labels), file)
      XCTAssertEqual(try new.unitConfigurations().count, try old.unitConfigurations().count, file)
      // `nas space show` prints SpaceSummary: the same, hash line included (both are content hashes).
      XCTAssertEqual(try SpaceSummary(new).text(), try SpaceSummary(old).text(), file)
      for seed: UInt64 in [1, 7, 2026] {
        var a = SeededGenerator(seed: seed), b = SeededGenerator(seed: seed)
        for _ in 0..<20 {
          XCTAssertEqual(try new.sample(using: &a).canonicalHash, try old.sample(using: &b).canonicalHash, file)
        }
      }
      // The legacy table maps the old text's hash to this content.
      let legacy = SpaceIdentity.legacySourceHashes[old.sourceTextHash ?? ""]
      XCTAssertEqual(legacy?.file, file)
      XCTAssertEqual(legacy?.contentHash, new.contentHash, file)
      XCTAssertTrue(SpaceIdentity.names(new, recorded: old.sourceTextHash ?? ""), file)
    }
  }

  func testShippedSpaceSizesAndDecisions() throws {
    // Pinned, so that a rewrite that changes a space fails even if the old text changed with it.
    let mnas = try DSL.loadSpace(path: path("mnasnet.space"))
    XCTAssertEqual(mnas.decisions.count, 49)
    let v3 = try DSL.loadSpace(path: path("mobilenetv3.space"))
    XCTAssertEqual(v3.decisions.count, 35)
    let oldMnas = try DSL.parseSpace(Self.oldMnasNet, file: "old")
    XCTAssertEqual(try mnas.size(), try oldMnas.size())
  }

  // MARK: - Canonical text

  func testCanonicalTextOfMnasNet() throws {
    let space = try DSL.loadSpace(path: path("mnasnet.space"))
    let lines = space.canonicalText().split(separator: "\n", omittingEmptySubsequences: false)
    XCTAssertEqual(lines.prefix(4), ["name mnasnet", "input 224 channels=3", "classes 1000", "stem conv k=3 s=2 out=32 act=relu"])
    XCTAssertEqual(
      lines[5],
      "block op={conv,sepconv,mbconv} k={3,5} s=2 out=24 repeat=2 depth={-1,0,1} width={0.75,1,1.25} expand={3,6} se={0,0.25} se-ref=input se-divisor=1 se-gate=sigmoid act=relu skip={none,identity}"
    )
    XCTAssertEqual(lines.suffix(4), ["head conv k=1 s=1 out=1280 act=relu scale=no", "head pool", "classifier dropout=0.2", ""])
    XCTAssertFalse(space.canonicalText(includeName: false).contains("name"))
    XCTAssertEqual(space.contentHash, SHA256.hex(space.canonicalText(includeName: false)))
  }

  func testCanonicalTextRoundTripsForEveryShippedFile() throws {
    for p in Fixtures.spaceFiles + Fixtures.referenceFiles {
      let space = try DSL.parseSpace(Fixtures.text(p), file: p)
      let text = space.canonicalText()
      XCTAssertFalse(text.contains("#") || text.contains("let ") || text.contains("use="), p)
      let again = try DSL.parseSpace(text, file: "canonical")
      XCTAssertEqual(again.canonicalText(), text, p)
      XCTAssertEqual(again.contentHash, space.contentHash, p)
      XCTAssertEqual(try again.size(), try space.size(), p)
      XCTAssertEqual(again.decisions.map(\.labels), space.decisions.map(\.labels), p)
    }
  }

  let header = "input 224 channels=3\nclasses 10\n"
  let tail = "head pool\nclassifier\n"

  func hash(_ text: String) throws -> String { try DSL.parseSpace(text, file: "t.space").contentHash }

  func testSpellingsOfTheSameSpaceHaveOneHash() throws {
    let reference = try hash(header + "block mbconv k={3,5} s=2 out=16 expand=6 act=relu\n" + tail)
    let spellings = [
      // Comments, blank lines, spacing, attribute order, the op as op=, CRLF.
      "# a comment\n" + header + "\nblock   act=relu out=16 expand=6 s=2 k={3, 5} op=mbconv # trailing\n" + tail,
      header.replacingOccurrences(of: "\n", with: "\r\n") + "block mbconv k={3,5} s=2 out=16 expand=6 act=relu\r\n" + tail,
      // Defaults written out, numbers spelled differently, a set split over lines.
      "divisor 8\nwidth 1\nbatchnorm yes\n" + header
        + "block mbconv k={3,\n 5} s=+2 out=16 expand=6.0 act=relu repeat=1 depth=0 width=1.00 skip=none scale=yes choose=shared se-act=relu se-gate=hsigmoid pw-act=none\n"
        + tail,
      // A name is not part of the identity.
      "name other\n" + header + "block mbconv k={3,5} s=2 out=16 expand=6 act=relu\n" + tail,
      // The same attributes through a group.
      header + "let g = k={3,5} expand=6\nblock mbconv use=g s=2 out=16 act=relu\n" + tail,
    ]
    for text in spellings { XCTAssertEqual(try hash(text), reference, text) }
  }

  func testDifferentSpacesHaveDifferentHashes() throws {
    let base = "block mbconv k={3,5} s=2 out=16 expand=6 act=relu"
    let variants = [
      base, "block mbconv k={5,3} s=2 out=16 expand=6 act=relu",  // the order of alternatives is the decision's
      "block mbconv k={3,5} s=2 out=16 expand=3 act=relu", "block mbconv k={3,5} s=1 out=16 expand=6 act=relu",
      "block mbconv k={3,5} s=2 out=24 expand=6 act=relu", "block mbconv k={3,5} s=2 out=16 mid=96 act=relu",
      "block mbconv k={3,5} s=2 out=16 expand=6 act=relu repeat=2", "block mbconv k={3,5} s=2 out=16 expand=6 act=relu depth={0,1}",
      "block mbconv k={3,5} s=2 out=16 expand=6 act=relu width=1.25", "block mbconv k={3,5} s=2 out=16 expand=6 act=relu se=0.25",
      "block mbconv k={3,5} s=2 out=16 expand=6 act=relu se-ch=4", "block mbconv k={3,5} s=2 out=16 expand=6 act=relu se=0.25 se-ref=input",
      "block mbconv k={3,5} s=2 out=16 expand=6 act=relu se=0.25 se-divisor=1", "block mbconv k={3,5} s=2 out=16 expand=6 act=relu se-gate=sigmoid",
      "block mbconv k={3,5} s=2 out=16 expand=6 act=relu se-act=hswish", "block mbconv k={3,5} s=2 out=16 expand=6 act=relu se-alternate=yes",
      "block mbconv k={3,5} s=2 out=16 expand=6 act=hswish", "block mbconv k={3,5} s=2 out=16 expand=6 act=relu pw-act=relu",
      "block mbconv k={3,5} s=2 out=16 expand=6 act=relu skip={none,identity}", "block mbconv k={3,5} s=2 out=16 expand=6 act=relu bn=folded",
      "block mbconv k={3,5} s=2 out=16 expand=6 act=relu scale=no", "block mbconv k={3,5} s=2 out=16 expand=6 act=relu choose=per-layer",
      "block op={mbconv,conv} k={3,5} s=2 out=16 expand=6 act=relu",
    ]
    var seen: [String: String] = [:]
    for v in variants {
      let text = header + v + "\n" + tail
      let space = try DSL.parseSpace(text, file: "t.space")
      XCTAssertNil(seen[space.contentHash], "\(v) has the hash of \(seen[space.contentHash] ?? "")")
      seen[space.contentHash] = v
      // Each variant's canonical text reads back to itself.
      XCTAssertEqual(try DSL.parseSpace(space.canonicalText(), file: "c").canonicalText(), space.canonicalText(), v)
    }
    let settings = [
      "input 192 channels=3\nclasses 10\n", "input 224 channels=1\nclasses 10\n", "input 224 channels=3\nclasses 11\n",
      header + "width 0.75\n", header + "resolution 0.5\n", header + "divisor 4\n", header + "batchnorm folded\n",
      "input {192,224} channels=3\nclasses 10\n", header + "width {0.75,1}\n",
    ]
    for s in settings {
      let space = try DSL.parseSpace(s + base + "\n" + tail, file: "t.space")
      XCTAssertNil(seen[space.contentHash], "\(s) has the hash of \(seen[space.contentHash] ?? "")")
      seen[space.contentHash] = s
      XCTAssertEqual(try DSL.parseSpace(space.canonicalText(), file: "c").canonicalText(), space.canonicalText(), s)
    }
    for c in ["classifier dropout=0.2\n", "classifier bn=yes\n"] {
      let space = try DSL.parseSpace(header + base + "\nhead pool\n" + c, file: "t.space")
      XCTAssertNil(seen[space.contentHash], c)
      seen[space.contentHash] = c
    }
  }

  func testQuotedNamesRoundTrip() throws {
    for name in ["\"two words\"", "\"a \\\"quote\\\" and \\\\ backslash\"", "\"-x\"", "\"42\"", "plain_name-1.0", "\"é\""] {
      let space = try DSL.parseSpace("name \(name)\n" + header + "block conv k=3 out=8\n" + tail, file: "t.space")
      let again = try DSL.parseSpace(space.canonicalText(), file: "c")
      XCTAssertEqual(again.name, space.name, name)
      XCTAssertEqual(again.canonicalText(), space.canonicalText(), name)
    }
  }

  func testThePrinterKnowsEveryField() {
    // A new field of a template or of the settings must be printed by canonicalText (and
    // compared by the tests above): update both, then these counts.
    XCTAssertEqual(Mirror(reflecting: UnitTemplate(role: .block, location: SourceLocation(file: "", line: 1, column: 1))).children.count, 25)
    XCTAssertEqual(Mirror(reflecting: SearchSpace(file: "")).children.count, 12)
  }

  // MARK: - Groups

  func testEachUseOfAGroupMakesItsOwnDecisions() throws {
    let written = header
      + "block mbconv k={3,5} expand={3,6} s=2 out=16 depth={0,1} repeat=2\nblock mbconv k={3,5} expand={3,6} s=1 out=16 depth={0,1} repeat=2\n" + tail
    let grouped = header + "let g = k={3,5} expand={3,6} depth={0,1}\nblock mbconv use=g s=2 out=16 repeat=2\nblock mbconv s=1 out=16 repeat=2 use=g\n" + tail
    let a = try DSL.parseSpace(written, file: "a.space"), b = try DSL.parseSpace(grouped, file: "b.space")
    XCTAssertEqual(b.decisions.map(\.name), ["block0.depth", "block0.k", "block0.expand", "block1.depth", "block1.k", "block1.expand"])
    XCTAssertEqual(b.decisions.map(\.name), a.decisions.map(\.name))
    XCTAssertEqual(b.contentHash, a.contentHash)
    XCTAssertEqual(try b.size(), try a.size())
    // The two blocks choose independently: different kernels in one architecture.
    let arch = try b.architecture(for: [0, 0, 0, 0, 1, 0])
    XCTAssertEqual(arch.units.filter { $0.role == .block }.map(\.kernel), [3, 3, 5, 5])
  }

  func testGroupsWithPerLayerChoicesAndAcrossRoles() throws {
    let grouped = header + "let g = k={3,5} act={relu,hswish} choose=per-layer\nlet h = k=3 act=relu\nstem conv use=h s=2 out=16\nblock mbconv use=g expand=6 s=1 out=16 repeat=2\nhead conv use=h out=64\n" + tail
    let written = header + "stem conv k=3 act=relu s=2 out=16\nblock mbconv k={3,5} act={relu,hswish} choose=per-layer expand=6 s=1 out=16 repeat=2\nhead conv k=3 act=relu out=64\n" + tail
    XCTAssertEqual(try hash(grouped), try hash(written))
    XCTAssertEqual(try DSL.parseSpace(grouped, file: "g").decisions.count, 4)
  }

  func testTheDocumentedExampleParses() throws {
    let docs = Fixtures.text(Fixtures.root.appendingPathComponent("docs/dsl.md").path)
    let section = try XCTUnwrap(docs.components(separatedBy: "### Named groups").dropFirst().first)
    let example = try XCTUnwrap(section.components(separatedBy: "```").dropFirst().first)
    XCTAssertTrue(example.contains("let mnas = ") && example.contains("use=stage"), example)
    let text = header + "stem conv k=3 s=2 out=16\n" + example.trimmingCharacters(in: .newlines) + "\n" + tail
    let space = try DSL.parseSpace(text, file: "dsl.md")
    XCTAssertEqual(space.templates.filter { $0.role == .block }.count, 3)
    XCTAssertEqual(space.decisions.filter { $0.name.hasSuffix(".k") }.map(\.name), ["block0.k", "block1.k", "block2.k"])
  }

  func testAnUnusedGroupDoesNotChangeTheSpace() throws {
    let plain = header + "block conv k=3 out=8\n" + tail
    XCTAssertEqual(try hash("let unused = k={3,5}\n" + plain), try hash(plain))
  }

  // MARK: - Errors

  func expect(
    _ text: String, _ kind: DSLError.Kind, line: Int, column: Int, message: String? = nil, hint: String? = nil,
    file: StaticString = #filePath, sourceLine: UInt = #line
  ) {
    do {
      _ = try DSL.parseSpace(text, file: "t.space")
      XCTFail("expected a \(kind) error", file: file, line: sourceLine)
    } catch {
      XCTAssertEqual(error.kind, kind, error.description, file: file, line: sourceLine)
      XCTAssertEqual(error.location, SourceLocation(file: "t.space", line: line, column: column), error.description, file: file, line: sourceLine)
      XCTAssertTrue(error.description.hasPrefix("t.space:\(line):\(column): "), error.description, file: file, line: sourceLine)
      if let message { XCTAssertEqual(error.message, message, file: file, line: sourceLine) }
      if let hint { XCTAssertEqual(error.hint, hint, file: file, line: sourceLine) }
    }
  }

  func testUnknownGroup() {
    expect(
      header + "let mnas = k={3,5}\nblock conv use=mans out=8\n" + tail, .badValue, line: 4, column: 16, message: "unknown group 'mans'",
      hint: "did you mean mnas?")
    expect(
      header + "block conv use=mnas out=8\n" + tail, .badValue, line: 3, column: 16, message: "unknown group 'mnas'",
      hint: "define it first: let mnas = attributes")
    expect(
      header + "let alpha = k=3\nblock conv use=zzzzzz out=8\n" + tail, .badValue, line: 4, column: 16, hint: "groups defined so far: alpha")
  }

  func testGroupUsedBeforeItsDefinition() {
    expect(
      header + "block conv use=g out=8\nlet g = k=3\n" + tail, .order, line: 3, column: 16,
      message: "group 'g' is used before its definition at line 4")
  }

  func testRedefinition() {
    expect(
      header + "let g = k=3\nlet g = k=5\nblock conv use=g out=8\n" + tail, .duplicate, line: 4, column: 5,
      message: "group 'g' is already defined at line 3")
  }

  func testConflictBetweenGroupAndLine() {
    expect(
      header + "let g = k={3,5} act=relu\nblock conv use=g out=8 act=hswish\n" + tail, .duplicate, line: 4, column: 24,
      message: "'act' is given both here and in group 'g' (line 3)")
    // Whichever comes first on the line.
    expect(header + "let g = k=3\nblock conv k=5 use=g out=8\n" + tail, .duplicate, line: 4, column: 12)
    // The op as a word on the line and op= in the group.
    expect(header + "let g = op={conv,mbconv}\nblock conv use=g out=8\n" + tail, .duplicate, line: 4, column: 7)
  }

  func testMalformedUse() {
    expect(header + "let g = k=3\nlet h = k=5\nblock conv use={g,h} out=8\n" + tail, .badValue, line: 5, column: 16)
    expect(header + "let g = k=3\nblock conv use=3 out=8\n" + tail, .badValue, line: 4, column: 16)
    expect(header + "let g = k=3\nlet h = act=relu\nblock conv use=g use=h out=8\n" + tail, .duplicate, line: 5, column: 18)
    expect(header + "let g = dropout=0.5\nblock conv k=3 out=8\n" + tail, .unknownAttribute, line: 3, column: 9)
    expect(header + "let g = k=3\nblock conv out=8\nhead pool\nclassifier use=g\n", .unknownAttribute, line: 6, column: 12)
    expect(header + "let g = k=3\nblock conv out=8\nhead pool use=g\nclassifier\n", .unknownAttribute, line: 5, column: 11)
    expect(header + "block conv k=3 out=8 uses=g\n" + tail, .unknownAttribute, line: 3, column: 22, hint: "did you mean use?")
  }

  func testMalformedLet() {
    expect(header + "let = k=3\n" + tail, .syntax, line: 3, column: 5)
    expect(header + "let g k=3\n" + tail, .syntax, line: 3, column: 7)
    expect(header + "let g\n" + tail, .syntax, line: 3, column: 6)
    expect(header + "let g =\nblock conv k=3 out=8\n" + tail, .missing, line: 3, column: 1)
    expect(header + "let g = mbconv k=3\n" + tail, .syntax, line: 3, column: 9, hint: "write the op as op=mbconv")
    expect(header + "let g = k=3\nlet h = use=g s=2\n" + tail, .unknownAttribute, line: 4, column: 9)
    expect(header + "let g = kk=3\n" + tail, .unknownAttribute, line: 3, column: 9, hint: "did you mean k?")
    expect(header + "let g = k=3 k=5\n" + tail, .duplicate, line: 3, column: 13)
    expect(header + "block conv k=3 out=8\nhead pool\nclassifier\nlet g = k=3\n", .duplicate, line: 6, column: 1)
  }

  func testGroupValuesAreCheckedWhereWritten() {
    // Even when unused: the error points at the value in the let.
    expect(header + "let g = k=4\nblock conv k=3 out=8\n" + tail, .outOfRange, line: 3, column: 11)
    expect(header + "let g = act=hwsish\n" + tail, .badValue, line: 3, column: 13, hint: "did you mean hswish?")
    expect(header + "let g = expand=6 mid=96\n" + tail, .duplicate, line: 3, column: 22)
    expect(header + "let g = op=repvit skip=identity\n" + tail, .badValue, line: 3, column: 24)
  }

  func testErrorsOfAGroupInAStatementNameTheUse() {
    // A block-only attribute from a group on a stem: reported at use=.
    expect(
      header + "let g = k=3 repeat=2\nstem conv use=g out=8\n" + tail, .unknownAttribute, line: 4, column: 11,
      message: "group 'g' (line 3) gives 'repeat', which 'stem' does not take")
    // The group's skip with the line's op: at the skip in the group, naming the use.
    expect(
      header + "let g = skip=identity\nstem conv k=3 s=2 out=16\nblock repvit use=g\n" + tail, .badValue, line: 3, column: 14,
      hint: "in group 'g', used at line 5:14")
    // An impossible residual: at the group's skip, naming the statement.
    expect(
      header + "let g = k=3 skip=identity\nstem conv k=3 s=2 out=16\nblock mbconv use=g s=2 expand=6 out=16\n" + tail,
      .impossibleShape, line: 3, column: 18, hint: "use skip=none, or make the block keep its shape; in the statement at line 5")
  }

  // MARK: - Recognising recorded hashes

  func testSpaceIdentityNamesOldAndNewHashes() throws {
    let p = path("mnasnet.space")
    let space = try DSL.loadSpace(path: p)
    let oldHash = SpaceIdentity.sourceTextHash(Self.oldMnasNet)
    XCTAssertTrue(SpaceIdentity.names(space, recorded: space.contentHash))
    XCTAssertTrue(SpaceIdentity.names(space, recorded: space.sourceTextHash ?? ""))
    XCTAssertTrue(SpaceIdentity.names(space, recorded: oldHash))
    XCTAssertFalse(SpaceIdentity.names(space, recorded: String(repeating: "0", count: 64)))
    // mobilenetv3's old text names mobilenetv3, not mnasnet.
    XCTAssertFalse(SpaceIdentity.names(space, recorded: SpaceIdentity.sourceTextHash(Self.oldMobileNetV3)))
    XCTAssertTrue(SpaceIdentity.names(contentHash: space.contentHash, path: p, recorded: oldHash))
    XCTAssertTrue(SpaceIdentity.names(contentHash: space.contentHash, path: p, recorded: space.sourceTextHash ?? ""))
    XCTAssertFalse(SpaceIdentity.names(contentHash: space.contentHash, path: p, recorded: SpaceIdentity.sourceTextHash(Self.oldMobileNetV3)))
  }

  func testARunOfAnUnchangedUserFileIsRecognisedByItsTextHash() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("space-let-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let p = dir.appendingPathComponent("mine.space").path
    let text = "# mine\n" + header + "block mbconv k={3,5} expand=6 s=2 out=16\n" + tail
    try text.write(toFile: p, atomically: true, encoding: .utf8)
    let space = try DSL.loadSpace(path: p)
    let recorded = SpaceIdentity.sourceTextHash(text)  // what a run recorded before this change
    XCTAssertNotEqual(recorded, space.contentHash)
    XCTAssertTrue(SpaceIdentity.names(space, recorded: recorded))
    XCTAssertTrue(SpaceIdentity.names(contentHash: space.contentHash, path: p, recorded: recorded))
    // Edited since (a comment only): the old text hash is no longer known.
    try ("# edited\n" + text).write(toFile: p, atomically: true, encoding: .utf8)
    XCTAssertFalse(SpaceIdentity.names(contentHash: space.contentHash, path: p, recorded: recorded))
    // The same text but other content than the run's space: refused.
    try text.write(toFile: p, atomically: true, encoding: .utf8)
    XCTAssertFalse(SpaceIdentity.names(contentHash: String(repeating: "a", count: 64), path: p, recorded: recorded))
    XCTAssertFalse(SpaceIdentity.names(contentHash: space.contentHash, path: dir.appendingPathComponent("missing.space").path, recorded: recorded))
  }
}
