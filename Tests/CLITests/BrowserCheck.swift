import Foundation
import XCTest

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Looks at an HTML page the way a person would: renders it in headless Chromium, takes a
/// screenshot, dumps the DOM after load, and collects what the page wrote to the browser console.
///
/// How each part is found (Chromium 156, Debian's `chromium` package):
/// - DOM: `--dump-dom` prints the serialised DOM after the load event to stdout; it can be combined
///   with `--screenshot`, so one browser run gives both.
/// - Console: `--enable-logging=stderr --v=0` makes Chromium write every console message to stderr as
///   `[pid:tid:MMDD/HHMMSS.micros:INFO:CONSOLE:<line>] "<message>", source: <url> (<line>)`, e.g.
///   `[27919:27919:1204/132304.141367:INFO:CONSOLE:1] "Uncaught Error: boom", source: file:///tmp/bc/err.html (1)`.
///   The line carries no level: `console.log`, `console.warn`, `console.error` and uncaught exceptions
///   all come out as `INFO:CONSOLE`. The report is a page without scripts, so every console message
///   counts as an error. The rest of stderr (dbus, vaapi, sandbox warnings) is the browser's own noise
///   and is ignored.
/// - Failed loads (`<img src="missing.png">`, a stylesheet from the network) are *not* logged to stderr
///   by the headless CLI (DevTools' "Failed to load resource" never reaches the log). A self-contained
///   page loads nothing, so instead every reference in the rendered DOM that would make the browser load
///   something (`src`, `href` on non-links, `xlink:href`, `srcset`, `poster`, CSS `url(...)`) and is not
///   `data:` or a `#fragment` is listed in `externalReferences`.
/// - Network: `--host-resolver-rules="MAP * ~NOTFOUND"` makes every host name fail to resolve, so a page
///   (or the browser itself: it tries update and account servers) can't reach the network.
///
/// Each run gets a fresh `--user-data-dir` in a temporary folder, and is killed after `timeout` seconds.
enum BrowserCheck {
  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  /// The screenshot's pixels, summarised.
  struct Image {
    var width: Int
    var height: Int
    /// Fraction of pixels that are not (near-)white: some channel below `nearWhite`, after compositing
    /// any alpha over white.
    var nonWhiteFraction: Double
    /// Distinct colours after quantising each channel to 4 bits (at most 4096).
    var distinctColors: Int
    /// A channel at or above this (of 255) counts as white.
    static let nearWhite = 245
  }

  struct Result {
    /// The DOM after load, serialised (`--dump-dom`).
    var dom: String
    /// The console messages Chromium logged (the quoted message and its source), one per entry.
    var consoleErrors: [String]
    /// Resource references in the DOM that point outside the page (see the type's comment).
    var externalReferences: [String]
    var image: Image
    /// Chromium's whole stderr, for diagnosing a failure.
    var log: String
    /// Wall-clock seconds of the browser run.
    var seconds: Double
  }

  /// At or below this fraction of non-white pixels a page counts as blank. Measured at 1280×2400: a blank
  /// page scores exactly 0; a lone `<h1>` 0.025%; a one-line paragraph 0.002%; a heading plus one chart
  /// drawn like the report's (white background, black axes, tick labels, one line, a few points:
  /// BrowserCheckTests.chartPage) 0.22%. 0.1% (≈3,000 pixels) sits between "a title at most" and "a
  /// chart was drawn", with a 2× margin below the sparsest chart; a report has several.
  static let blankThreshold = 0.001

  /// The browser: `NAS_CHROMIUM`, else the first of `chromium`, `chromium-browser`,
  /// `chromium-headless-shell` on PATH.
  static var chromium: URL? {
    let env = ProcessInfo.processInfo.environment
    if let path = env["NAS_CHROMIUM"], !path.isEmpty {
      return FileManager.default.isExecutableFile(atPath: path) ? URL(fileURLWithPath: path) : nil
    }
    let dirs = (env["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":").map(String.init)
    for name in ["chromium", "chromium-browser", "chromium-headless-shell"] {
      for dir in dirs where !dir.isEmpty {
        let path = (dir as NSString).appendingPathComponent(name)
        if FileManager.default.isExecutableFile(atPath: path) { return URL(fileURLWithPath: path) }
      }
    }
    return nil
  }

  /// The browser, or: a failure under CI (`CI` set), a skip elsewhere.
  static func requireChromium(file: StaticString = #filePath, line: UInt = #line) throws -> URL {
    if let url = chromium { return url }
    let message = "no Chromium found (looked for NAS_CHROMIUM, chromium, chromium-browser, chromium-headless-shell on PATH): apt-get install chromium"
    if ProcessInfo.processInfo.environment["CI"] != nil {
      XCTFail(message, file: file, line: line)
      throw Failure(description: "Chromium missing (see the failure above)")
    }
    throw XCTSkip(message, file: file, line: line)
  }

  /// Renders `page` in headless Chromium, writes the screenshot to `screenshot`, and summarises it.
  static func check(page: URL, screenshot: URL, width: Int = 1280, height: Int = 2400, timeout: Double = 60) throws
    -> Result
  {
    guard let browser = chromium else { throw Failure(description: "no Chromium found: apt-get install chromium") }
    let fm = FileManager.default
    let temp = fm.temporaryDirectory.appendingPathComponent("nas-browser-\(UUID().uuidString)")
    try fm.createDirectory(at: temp, withIntermediateDirectories: true)
    defer { try? fm.removeItem(at: temp) }
    try? fm.removeItem(at: screenshot)

    let arguments = [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
      "--user-data-dir=\(temp.appendingPathComponent("profile").path)",
      "--host-resolver-rules=MAP * ~NOTFOUND",
      "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-extensions",
      "--hide-scrollbars", "--force-device-scale-factor=1",
      "--enable-logging=stderr", "--v=0",
      "--window-size=\(width),\(height)",
      "--screenshot=\(screenshot.path)", "--dump-dom",
      page.absoluteURL.absoluteString,
    ]
    let outURL = temp.appendingPathComponent("stdout"), errURL = temp.appendingPathComponent("stderr")
    // Files, not pipes: the browser's helper processes inherit the descriptors and may outlive it.
    _ = fm.createFile(atPath: outURL.path, contents: nil)
    _ = fm.createFile(atPath: errURL.path, contents: nil)
    let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
    defer {
      try? out.close()
      try? err.close()
    }

    let process = Process()
    // coreutils' timeout puts the browser in its own process group and kills the whole group (the
    // browser's zygote, GPU and renderer processes too) when time is up.
    let timeoutTool = "/usr/bin/timeout"
    if fm.isExecutableFile(atPath: timeoutTool) {
      process.executableURL = URL(fileURLWithPath: timeoutTool)
      process.arguments = ["-k", "5", String(Int(timeout.rounded(.up))), browser.path] + arguments
    } else {
      process.executableURL = browser
      process.arguments = arguments
    }
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = out
    process.standardError = err
    let done = DispatchSemaphore(value: 0)
    process.terminationHandler = { _ in done.signal() }
    let start = Date()
    try process.run()
    // Backstop in case `timeout` is missing or itself hangs.
    if done.wait(timeout: .now() + timeout + 15) == .timedOut {
      let pid = process.processIdentifier
      if getpgid(pid) == pid { kill(-pid, SIGKILL) } else { kill(pid, SIGKILL) }
      _ = done.wait(timeout: .now() + 5)
      throw Failure(description: "Chromium did not finish within \(Int(timeout)) s rendering \(page.path)")
    }
    let seconds = Date().timeIntervalSince(start)
    let dom = String(decoding: (try? Data(contentsOf: outURL)) ?? Data(), as: UTF8.self)
    let log = String(decoding: (try? Data(contentsOf: errURL)) ?? Data(), as: UTF8.self)
    if process.terminationStatus == 124 || process.terminationStatus == 137 {
      throw Failure(description: "Chromium timed out after \(Int(timeout)) s rendering \(page.path)\n\(log)")
    }
    guard process.terminationStatus == 0, fm.fileExists(atPath: screenshot.path) else {
      throw Failure(
        description: "Chromium exited with status \(process.terminationStatus) and \(fm.fileExists(atPath: screenshot.path) ? "a" : "no") screenshot for \(page.path)\n\(log)")
    }
    let png = try PNG.decode(Data(contentsOf: screenshot))
    return Result(
      dom: dom, consoleErrors: consoleMessages(in: log), externalReferences: externalReferences(in: dom),
      image: png.summary(), log: log, seconds: seconds)
  }

  /// Renders `page` and asserts that a person would see something: the page is not blank, every id in
  /// `sections` is in the DOM, the console stayed empty and nothing outside the page was referenced.
  /// The screenshot is saved beside the page as `<page name>.png`.
  @discardableResult
  static func assertRendered(
    _ page: URL, sections: [String], file: StaticString = #filePath, line: UInt = #line
  ) throws -> Result {
    _ = try requireChromium(file: file, line: line)
    let screenshot = page.deletingPathExtension().appendingPathExtension("png")
    let result = try check(page: page, screenshot: screenshot)
    XCTAssertGreaterThan(
      result.image.nonWhiteFraction, blankThreshold,
      "\(page.lastPathComponent) renders blank (non-white fraction \(result.image.nonWhiteFraction)); see \(screenshot.path)",
      file: file, line: line)
    for id in sections {
      XCTAssertTrue(
        result.dom.contains("id=\"\(id)\""), "\(page.lastPathComponent): no element with id=\"\(id)\" in the rendered DOM",
        file: file, line: line)
    }
    XCTAssertEqual(
      result.consoleErrors, [], "\(page.lastPathComponent) wrote to the browser console", file: file, line: line)
    XCTAssertEqual(
      result.externalReferences, [], "\(page.lastPathComponent) is not self-contained", file: file, line: line)
    return result
  }

  // MARK: - Reading Chromium's output

  /// The console messages in Chromium's stderr log (`...:CONSOLE:<line>] "message", source: url (line)`).
  static func consoleMessages(in log: String) -> [String] {
    log.split(whereSeparator: \.isNewline).compactMap { line -> String? in
      guard let marker = line.range(of: ":CONSOLE") ?? line.range(of: "CONSOLE("),
        let close = line[marker.upperBound...].firstIndex(of: "]")
      else { return nil }
      return line[line.index(after: close)...].trimmingCharacters(in: .whitespaces)
    }
  }

  /// References in `dom` that make the browser load something from outside the page.
  static func externalReferences(in dom: String) -> [String] {
    var found: [String] = []
    let tag = try! NSRegularExpression(pattern: #"<([A-Za-z][\w:-]*)\b([^>]*)>"#)
    let attribute = try! NSRegularExpression(
      pattern: #"(?:^|\s)(src|href|xlink:href|srcset|poster|data|background)\s*=\s*(?:"([^"]*)"|'([^']*)')"#,
      options: [.caseInsensitive])
    let cssURL = try! NSRegularExpression(pattern: #"url\(\s*['"]?([^'")]*)"#, options: [.caseInsensitive])
    func external(_ value: String) -> Bool {
      let v = value.trimmingCharacters(in: .whitespaces).lowercased()
      return !(v.isEmpty || v.hasPrefix("data:") || v.hasPrefix("#") || v == "about:blank")
    }
    let ns = dom as NSString
    for m in tag.matches(in: dom, range: NSRange(location: 0, length: ns.length)) {
      let name = ns.substring(with: m.range(at: 1)).lowercased()
      let attrs = ns.substring(with: m.range(at: 2))
      let a = attrs as NSString
      for am in attribute.matches(in: attrs, range: NSRange(location: 0, length: a.length)) {
        let key = a.substring(with: am.range(at: 1)).lowercased()
        // A link's href is navigated to, not loaded; a stylesheet's or icon's is loaded.
        if key == "href" && (name == "a" || (name == "link" && !attrs.lowercased().contains("stylesheet")
          && !attrs.lowercased().contains("icon") && !attrs.lowercased().contains("preload"))) { continue }
        let range = am.range(at: 2).location != NSNotFound ? am.range(at: 2) : am.range(at: 3)
        let value = a.substring(with: range)
        if external(value) { found.append("<\(name) \(key)=\"\(value)\">") }
      }
    }
    for m in cssURL.matches(in: dom, range: NSRange(location: 0, length: ns.length)) {
      let value = ns.substring(with: m.range(at: 1))
      if external(value) { found.append("url(\(value))") }
    }
    return found
  }
}
