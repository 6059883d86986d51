import Foundation
import GRDB

extension ResultsStore {
  /// Keeps the training checkpoint an evaluation ended with (replacing one saved before: the
  /// same evaluation trains to the same state).
  public func saveCheckpoint(evaluation: Int64, step: Int, bytes: Data) throws {
    try write { db in
      try db.execute(
        sql: """
          INSERT INTO training_checkpoints (evaluation_id, step, bytes, created_at) VALUES (?, ?, ?, ?)
          ON CONFLICT (evaluation_id) DO UPDATE SET step = excluded.step, bytes = excluded.bytes, created_at = excluded.created_at
          """,
        arguments: [evaluation, step, bytes, Self.now()])
    }
  }

  /// The newest checkpoint of a finished evaluation of this architecture with these evaluator
  /// settings, from any run: where a promoted candidate's training continues.
  public func checkpoint(hash: String, evaluatorConfigJSON: String) throws -> Data? {
    try read { db in
      try db.value(
        Data.self,
        sql: """
          SELECT c.bytes FROM training_checkpoints c JOIN evaluations e ON e.id = c.evaluation_id
          WHERE e.architecture_hash = ? AND e.evaluator_config = ? AND e.status = 'ok' ORDER BY c.evaluation_id DESC LIMIT 1
          """, arguments: [hash, evaluatorConfigJSON])
    }
  }

  /// Records the step a rung's training began at: the checkpoint's step, or 0 from scratch.
  public func setContinuedFromStep(evaluation: Int64, step: Int) throws {
    try write { db in
      try db.execute(sql: "UPDATE evaluations SET continued_from_step = ? WHERE id = ?", arguments: [step, evaluation])
    }
  }

  /// How many checkpoints a run's evaluations keep, and their bytes.
  public func checkpointUsage(run: Int64) throws -> (count: Int, bytes: Int) {
    try read { db in
      let row = try db.fetchAll(
        sql: """
          SELECT COUNT(*) AS n, COALESCE(SUM(LENGTH(c.bytes)), 0) AS bytes FROM training_checkpoints c
          JOIN evaluations e ON e.id = c.evaluation_id WHERE e.run_id = ?
          """, arguments: [run]
      ).first
      return (row?["n"] ?? 0, row?["bytes"] ?? 0)
    }
  }

  /// Deletes the checkpoints of a run's evaluations (a finished search frees their space; a
  /// later promotion trains from scratch to the same network) and returns how many.
  @discardableResult
  public func deleteCheckpoints(run: Int64) throws -> Int {
    try write { db in
      let n = try db.value(
        Int.self, sql: "SELECT COUNT(*) FROM training_checkpoints WHERE evaluation_id IN (SELECT id FROM evaluations WHERE run_id = ?)",
        arguments: [run]) ?? 0
      try db.execute(
        sql: "DELETE FROM training_checkpoints WHERE evaluation_id IN (SELECT id FROM evaluations WHERE run_id = ?)", arguments: [run])
      return n
    }
  }
}
