/// The migration of the evaluation queue, which lets workers on any host evaluate a search's
/// candidates (`nas worker`), and of the host each evaluation ran on.
///
/// The search process owns the strategy: it queues a batch, one row per trial, and waits. A
/// worker claims a queued row (no two workers claim the same one), evaluates it while it keeps
/// a heartbeat in the row, and writes the outcome back; the search then records the trial's
/// evaluation as it always has. A claim whose heartbeat stops, by the database's clock, is
/// queued again, and a result from a claim that was taken away is refused, so every trial is
/// evaluated to one recorded outcome.
enum EvaluationQueueTables {
  static let name = "v9-evaluation-queue"

  static let sql = """
    ALTER TABLE evaluations ADD COLUMN host TEXT;             -- host id of the evaluating process; NULL: before v9 (this host)
    CREATE TABLE evaluation_queue (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      run_id INTEGER NOT NULL REFERENCES runs(id),
      trial INTEGER NOT NULL,
      evaluation_id INTEGER NOT NULL REFERENCES evaluations(id),  -- the search's record of the trial
      architecture_hash TEXT NOT NULL REFERENCES architectures(hash),
      evaluator TEXT NOT NULL,                  -- how to evaluate, as the search was given it (JSON)
      state TEXT NOT NULL CHECK (state IN ('queued','claimed','done','cancelled')),
      claim_token TEXT,                         -- random per claim; a result is accepted only with it
      worker_host TEXT,
      worker_pid INTEGER,
      claimed_at TEXT,
      heartbeat_at TEXT,                        -- the database's clock
      attempts INTEGER NOT NULL DEFAULT 0,      -- claims so far (a requeued row is claimed again)
      status TEXT CHECK (status IN ('ok','failed','timed out')),
      accuracy REAL,
      message TEXT,
      wall_seconds REAL,
      created_at TEXT NOT NULL,
      finished_at TEXT,
      UNIQUE (run_id, trial)
    );
    CREATE INDEX evaluation_queue_state ON evaluation_queue(state, id);
    """
}
