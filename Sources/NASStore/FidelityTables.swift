/// The migration of successive halving (`nas search --fidelity`): the rung of each evaluation,
/// and the training checkpoints a promoted candidate continues from.
///
/// A rung's evaluation is a trial of its own (its own queue row, its own record); `rung` says
/// which rung it trained to, and the candidate is the architecture. A checkpoint is kept per
/// evaluation, found again by architecture and evaluator settings, so a candidate promoted
/// later, by a resumed search or on another host, continues from it. A missing checkpoint
/// costs time only: training from scratch to the rung gives the same network.
enum FidelityTables {
  static let name = "v10-fidelity-rungs"

  static let sql = """
    ALTER TABLE evaluations ADD COLUMN rung INTEGER;          -- successive halving's rung, 0 the lowest; NULL: a flat search
    ALTER TABLE evaluations ADD COLUMN continued_from_step INTEGER;  -- a rung's training began at this step (0: from scratch)
    CREATE TABLE training_checkpoints (
      evaluation_id INTEGER PRIMARY KEY REFERENCES evaluations(id),
      step INTEGER NOT NULL,                    -- training steps done
      bytes BLOB NOT NULL,                      -- weights, statistics and momentum (safetensors)
      created_at TEXT NOT NULL
    );
    """
}
