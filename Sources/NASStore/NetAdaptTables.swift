/// The migration of NetAdapt's tables: the path of a run (one row per iteration, the seed as
/// iteration 0) and every proposal of every iteration (see docs/results-schema.md).
enum NetAdaptTables {
  static let name = "v3-netadapt"

  static let sql = """
    CREATE TABLE netadapt_iterations (
      run_id INTEGER NOT NULL REFERENCES runs(id),
      iteration INTEGER NOT NULL,          -- 0 is the seed
      architecture_hash TEXT NOT NULL REFERENCES architectures(hash),
      predicted_latency_ms REAL NOT NULL,
      accuracy REAL,                       -- after the short fine-tune, on the ranking images
      cut TEXT,                            -- 'units 3-4 out 32→24'; NULL for the seed
      proposals INTEGER NOT NULL,          -- proposals evaluated in this iteration
      created_at TEXT NOT NULL,
      PRIMARY KEY (run_id, iteration)
    );
    CREATE TABLE netadapt_proposals (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      run_id INTEGER NOT NULL REFERENCES runs(id),
      iteration INTEGER NOT NULL,
      kind TEXT NOT NULL CHECK (kind IN ('expansion','width')),
      first_unit INTEGER NOT NULL,         -- the unit (expansion) or the chain's first unit
      last_unit INTEGER NOT NULL,
      channels_before INTEGER NOT NULL,
      channels_after INTEGER NOT NULL,
      architecture_hash TEXT NOT NULL REFERENCES architectures(hash),
      predicted_latency_ms REAL NOT NULL,
      accuracy REAL,                       -- NULL when the fine-tune failed
      slope REAL,                          -- accuracy change per millisecond saved
      chosen INTEGER NOT NULL DEFAULT 0,
      status TEXT NOT NULL CHECK (status IN ('ok','failed')),
      message TEXT,
      wall_seconds REAL,
      created_at TEXT NOT NULL,
      UNIQUE (run_id, iteration, kind, first_unit, channels_after)
    );
    CREATE INDEX netadapt_proposals_run ON netadapt_proposals(run_id, iteration);
    """
}
