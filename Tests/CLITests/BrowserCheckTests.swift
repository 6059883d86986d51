import Foundation
import XCTest

/// The browser check itself: it must tell a drawn page from a blank one and a clean page from one
/// with a script error, or a passing report test would mean nothing.
final class BrowserCheckTests: XCTestCase {
  var directory: URL!

  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("nas-browser-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws {
    try? FileManager.default.removeItem(at: directory)
  }

  func page(_ name: String, _ html: String) throws -> URL {
    let url = directory.appendingPathComponent(name)
    try html.write(to: url, atomically: true, encoding: .utf8)
    return url
  }

  /// Like the report's charts (NASSupport's ChartFrame): white background, black axes, tick labels,
  /// one data line and a few points. Sparse on purpose: this is the least ink a real chart has.
  static let chartPage = """
    <!doctype html>
    <html><head><meta charset="utf-8"><title>Run 1</title>
    <style>body { font-family: sans-serif; margin: 24px; } h1 { font-size: 24px; }</style></head>
    <body>
    <h1 id="title">Run 1: search</h1>
    <section id="progress"><h2>Progress</h2>
    <svg xmlns="http://www.w3.org/2000/svg" width="640" height="360" viewBox="0 0 640 360" font-family="sans-serif" font-size="12">
    <rect width="100%" height="100%" fill="white"/>
    <text x="320" y="18" text-anchor="middle" font-size="14">Accuracy by trial</text>
    <line x1="70" y1="305" x2="620" y2="305" stroke="black"/>
    <line x1="70" y1="40" x2="70" y2="305" stroke="black"/>
    <text x="70" y="321" text-anchor="middle">0</text><text x="345" y="321" text-anchor="middle">50</text>
    <text x="620" y="321" text-anchor="middle">100</text>
    <text x="64" y="309" text-anchor="end">0.50</text><text x="64" y="44" text-anchor="end">0.90</text>
    <polyline points="70,290 150,240 230,200 310,150 390,130 470,100 550,80 620,70" fill="none" stroke="#1f77b4" stroke-width="2"/>
    <circle cx="310" cy="150" r="4" fill="#d62728"/><circle cx="470" cy="100" r="4" fill="#d62728"/>
    <text x="345" y="348" text-anchor="middle">trial</text>
    </svg>
    </section>
    </body></html>
    """

  func testChartPageRendersWithItsSectionsAndNoConsoleErrors() throws {
    _ = try BrowserCheck.requireChromium()
    let url = try page("chart.html", Self.chartPage)
    let start = Date()
    let result = try BrowserCheck.check(page: url, screenshot: directory.appendingPathComponent("chart.png"))
    let total = Date().timeIntervalSince(start)
    XCTAssertEqual(result.image.width, 1280)
    XCTAssertEqual(result.image.height, 2400)
    XCTAssertGreaterThan(
      result.image.nonWhiteFraction, BrowserCheck.blankThreshold, "screenshot: \(directory.path)/chart.png")
    // Black, grey anti-aliasing, the blue line and the red points.
    XCTAssertGreaterThan(result.image.distinctColors, 8)
    for id in ["title", "progress"] { XCTAssertTrue(result.dom.contains(#"id="\#(id)""#), id) }
    XCTAssertTrue(result.dom.contains("<svg"))
    XCTAssertEqual(result.consoleErrors, [], result.log)
    XCTAssertEqual(result.externalReferences, [])
    print(
      "BrowserCheck: chart page checked in \(String(format: "%.2f", total)) s (browser \(String(format: "%.2f", result.seconds)) s), non-white \(result.image.nonWhiteFraction), \(result.image.distinctColors) colours"
    )

    // The helper the report tests use passes it too, and leaves the screenshot beside the page.
    try BrowserCheck.assertRendered(url, sections: ["title", "progress"])
    XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent("chart.png").path))
  }

  func testBlankPageIsReportedBlank() throws {
    _ = try BrowserCheck.requireChromium()
    let url = try page("blank.html", "<!doctype html><html><head><title>blank</title></head><body></body></html>")
    let result = try BrowserCheck.check(page: url, screenshot: directory.appendingPathComponent("blank.png"))
    XCTAssertEqual(result.image.nonWhiteFraction, 0)
    XCTAssertLessThanOrEqual(result.image.nonWhiteFraction, BrowserCheck.blankThreshold)
    XCTAssertEqual(result.image.distinctColors, 1)
    XCTAssertEqual(result.consoleErrors, [])
  }

  func testScriptErrorIsReportedAsConsoleError() throws {
    _ = try BrowserCheck.requireChromium()
    let url = try page(
      "error.html", #"<!doctype html><html><body><h1 id="title">x</h1><script>throw new Error("boom")</script></body></html>"#)
    let result = try BrowserCheck.check(page: url, screenshot: directory.appendingPathComponent("error.png"))
    XCTAssertEqual(result.consoleErrors.count, 1, result.log)
    XCTAssertTrue(result.consoleErrors.first?.contains("Uncaught Error: boom") ?? false, "\(result.consoleErrors)")
  }

  /// A page that is not self-contained (a missing image, a stylesheet from the network) is caught from
  /// the DOM, since headless Chromium logs no console line for a failed load; and the network stays shut.
  func testExternalReferencesAreReported() throws {
    _ = try BrowserCheck.requireChromium()
    let url = try page(
      "external.html",
      """
      <!doctype html><html><head><link rel="stylesheet" href="https://example.com/x.css"></head>
      <body><a href="https://example.com/">a link is fine</a><a href="#top">so is this</a>
      <img src="missing.png"><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
      <div style="background: url('http://example.org/bg.png')">x</div></body></html>
      """)
    let result = try BrowserCheck.check(page: url, screenshot: directory.appendingPathComponent("external.png"))
    XCTAssertEqual(
      result.externalReferences,
      [#"<link href="https://example.com/x.css">"#, #"<img src="missing.png">"#, "url(http://example.org/bg.png)"])
  }

  /// The PNG reader against a tiny image built here: RGBA, each row a different filter.
  func testPNGDecoderHandlesAllFilters() throws {
    // 2×5 RGBA; rows use filters 0...4. Raw pixels chosen, then filtered by hand below.
    let w = 2, h = 5, bpp = 4
    let image: [[UInt8]] = [
      [10, 20, 30, 255, 200, 100, 50, 255],
      [11, 22, 33, 255, 210, 110, 60, 128],
      [0, 0, 0, 0, 255, 255, 255, 255],
      [90, 80, 70, 255, 1, 2, 3, 255],
      [250, 240, 230, 255, 5, 6, 7, 255],
    ]
    func paeth(_ a: Int, _ b: Int, _ c: Int) -> Int {
      let p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
      return pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
    }
    var raw: [UInt8] = []
    for y in 0..<h {
      raw.append(UInt8(y))
      for x in 0..<(w * bpp) {
        let v = Int(image[y][x])
        let a = x >= bpp ? Int(image[y][x - bpp]) : 0
        let b = y > 0 ? Int(image[y - 1][x]) : 0
        let c = x >= bpp && y > 0 ? Int(image[y - 1][x - bpp]) : 0
        let pred = [0, a, b, (a + b) / 2, paeth(a, b, c)][y]
        raw.append(UInt8(truncatingIfNeeded: v - pred))
      }
    }
    // zlib stream with one stored (uncompressed) deflate block, so no compressor is needed here.
    var s1: UInt32 = 1, s2: UInt32 = 0
    for byte in raw {
      s1 = (s1 + UInt32(byte)) % 65521
      s2 = (s2 + s1) % 65521
    }
    let n = UInt16(raw.count)
    var zlib: [UInt8] = [0x78, 0x01, 0x01, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8(~n >> 8)] + raw
    let adler = s2 << 16 | s1
    zlib += [UInt8(adler >> 24), UInt8(adler >> 16 & 0xFF), UInt8(adler >> 8 & 0xFF), UInt8(adler & 0xFF)]
    func be(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] { be(body.count) + Array(type.utf8) + body + [0, 0, 0, 0] }
    let png =
      [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", be(w) + be(h) + [8, 6, 0, 0, 0])
      + chunk("IDAT", Array(zlib[0..<5])) + chunk("IDAT", Array(zlib[5...])) + chunk("IEND", [])
    let decoded = try PNG.decode(Data(png))
    XCTAssertEqual(decoded.width, w)
    XCTAssertEqual(decoded.height, h)
    XCTAssertEqual(decoded.pixels, image.flatMap { $0 })
    // Fully transparent composites to white; (210,110,60) at half alpha to about (232,182,157).
    XCTAssertTrue(decoded.rgb(0, 2) == (255, 255, 255))
    XCTAssertTrue(decoded.rgb(1, 1) == (232, 182, 157), "\(decoded.rgb(1, 1))")
    let summary = decoded.summary()
    XCTAssertEqual(summary.nonWhiteFraction, 8.0 / 10.0)
  }

  /// A page that never finishes loading is killed after the timeout, helpers and all.
  func testHangingPageTimesOut() throws {
    _ = try BrowserCheck.requireChromium()
    let url = try page("hang.html", "<!doctype html><html><body><p>x</p><script>while (true) {}</script></body></html>")
    let start = Date()
    XCTAssertThrowsError(
      try BrowserCheck.check(page: url, screenshot: directory.appendingPathComponent("hang.png"), timeout: 5)
    ) { error in
      XCTAssertTrue("\(error)".contains("timed out"), "\(error)")
    }
    XCTAssertLessThan(Date().timeIntervalSince(start), 30)
  }
}
