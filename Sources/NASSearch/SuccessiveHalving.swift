import Foundation

/// Successive halving's settings (`nas search --fidelity 40,120,360 --eta 3`): the training
/// steps of each rung, lowest first, and the reduction factor η.
///
/// Every candidate trains to the lowest rung; the best 1/η of a rung go on to the next,
/// continuing their training from its checkpoint. Every rung trains a prefix of one learning
/// rate schedule as long as the top rung, so a candidate that reaches the top rung has had
/// exactly the training of one uninterrupted run of that length.
public struct FidelitySchedule: Codable, Hashable, Sendable {
  public var rungSteps: [Int]
  public var eta: Int

  public static let defaultEta = 3

  public init(rungSteps: [Int], eta: Int = defaultEta) {
    self.rungSteps = rungSteps
    self.eta = eta
  }

  public var topRung: Int { rungSteps.count - 1 }

  /// What is wrong with the settings, if anything (for the command's `validate()`).
  public var problem: String? {
    if rungSteps.count < 2 { return "--fidelity needs at least two rungs, e.g. 40,120,360 (one rung is a flat search: use --steps)" }
    if rungSteps.contains(where: { $0 < 1 }) { return "--fidelity rungs are positive step counts, not \(rungSteps)" }
    if zip(rungSteps, rungSteps.dropFirst()).contains(where: { $0 >= $1 }) {
      return "--fidelity rungs must increase, not \(rungSteps.map(String.init).joined(separator: ","))"
    }
    if eta < 2 { return "--eta must be at least 2 (the best 1/eta of a rung are promoted), not \(eta)" }
    return nil
  }

  /// Parses `40,120,360`.
  public static func parse(_ text: String, eta: Int = defaultEta) -> FidelitySchedule? {
    let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else { return nil }
    return FidelitySchedule(rungSteps: parts.map { $0! }, eta: eta)
  }
}

/// The bookkeeping of asynchronous successive halving (ASHA, Li et al. 2020), saved with the
/// search's state so a resumed search promotes exactly as an uninterrupted one.
///
/// Whenever the search has room for another evaluation it asks ``nextPromotion()`` first: a
/// candidate among the best ⌊n/η⌋ of the n results of some rung that has not been promoted yet
/// (higher rungs first). Only when there is none does a new candidate start at the lowest rung.
/// Promotion never waits for a rung to fill, so it works with any number of workers.
public struct HalvingState: Codable, Hashable, Sendable {
  /// One finished evaluation at a rung.
  public struct RungResult: Codable, Hashable, Sendable {
    public var candidate: Int
    public var reward: Double
    public var ok: Bool
  }

  public var schedule: FidelitySchedule
  /// Each candidate's choices, by candidate number (the trial of its lowest-rung evaluation).
  public var assignments: [Int: [Int]] = [:]
  /// Finished results of each rung, in the order they finished.
  public var results: [[RungResult]]
  /// Candidates promoted out of each rung.
  public var promoted: [[Int]]

  public init(schedule: FidelitySchedule) {
    self.schedule = schedule
    results = Array(repeating: [], count: schedule.rungSteps.count)
    promoted = Array(repeating: [], count: schedule.rungSteps.count)
  }

  /// Registers a new candidate at the lowest rung.
  public mutating func start(candidate: Int, assignment: [Int]) {
    assignments[candidate] = assignment
  }

  /// Candidates started at the lowest rung (the `--trials` budget counts these).
  public var candidatesStarted: Int { assignments.count }

  /// The next promotion, marked as taken: a candidate and the rung it now trains to.
  public mutating func nextPromotion() -> (candidate: Int, rung: Int)? {
    for rung in stride(from: schedule.topRung - 1, through: 0, by: -1) {
      let quota = results[rung].count / schedule.eta
      guard quota > 0 else { continue }
      let ranked = results[rung].filter(\.ok).sorted { ($0.reward, -$0.candidate) > ($1.reward, -$1.candidate) }
      let taken = Set(promoted[rung])
      if let next = ranked.prefix(quota).first(where: { !taken.contains($0.candidate) }) {
        promoted[rung].append(next.candidate)
        return (next.candidate, rung + 1)
      }
    }
    return nil
  }

  /// Records a finished evaluation (a failed one is never promoted).
  public mutating func record(rung: Int, candidate: Int, reward: Double, ok: Bool) {
    results[rung].append(RungResult(candidate: candidate, reward: ok ? reward : 0, ok: ok))
  }

  /// How many results each rung has.
  public var rungCounts: [Int] { results.map(\.count) }
}
