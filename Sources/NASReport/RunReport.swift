import Foundation
import NASLatency
import NASStore
import NASSupport

/// One self-contained HTML page per run of the results database (`nas report`, and the page
/// `nas search` and `nas netadapt` write at their end).
public enum RunReport {
  /// The page of run `id`.
  public static func html(run id: Int64, store: ResultsStore) throws -> String {
    let run = try RunRecord.report(id, store: store)
    var page = HTMLPage(title: "nas \(run.kind.rawValue) run \(id)\(run.name.map { " (\($0))" } ?? "")")
    switch run.kind {
    case .search, .train:
      let device = run.deviceProfile
      let predictor = device.flatMap { try? LatencyService.predictor(store: store, profileID: $0, threads: 1) }
      let validation = try device.flatMap { try ReportValidation.latest(profile: $0, store: store) }
      SearchRunPage(run: run, evaluations: try store.allEvaluations(run: id), predictor: predictor, validation: validation)
        .render(into: &page)
    case .netadapt:
      try NetAdaptRunPage(run: run, store: store).render(into: &page)
    case .bench, .validate:
      try LatencyRunPage(run: run, store: store).render(into: &page)
    }
    page.raw("<footer><p>Written by nas from \(HTMLPage.escape(store.path)) at \(StoreTimestamp.string()).</p></footer>")
    return page.html
  }

  /// Writes the page of run `id` to `path` (replacing a regular file only) and returns its size in bytes.
  @discardableResult
  public static func write(run id: Int64, store: ResultsStore, to path: String) throws -> Int {
    let html = try html(run: id, store: store)
    try OutputFile.write(html, to: path)
    return html.utf8.count
  }

  /// The default file of a run's report: `PREFIX-RUNKIND-run-N-report.html` beside the database.
  public static func defaultPath(run id: Int64, kind: String, databasePath: String, folder: String? = nil) -> String {
    let dir = folder ?? OutputFile.defaultFolder(forDatabase: databasePath)
    return URL(fileURLWithPath: dir).appendingPathComponent("\(OutputFile.prefix(forDatabase: databasePath))-\(kind)-run-\(id)-report.html").path
  }
}
