/// The migration of the latency tables: device profiles, microbenchmark samples, whole-network
/// timings, fitted predictors and validation results (see docs/results-schema.md).
enum LatencyTables {
  static let name = "v2-latency"

  static let sql = """
    CREATE TABLE device_profiles (
      id TEXT PRIMARY KEY,               -- first 12 hex digits of the SHA-256 of the fields below
      cpu_model TEXT NOT NULL,
      cores INTEGER NOT NULL,
      threads INTEGER NOT NULL,
      backend TEXT NOT NULL,
      backend_version TEXT NOT NULL,
      precision TEXT NOT NULL,
      created_at TEXT NOT NULL
    );
    CREATE TABLE latency_samples (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      profile_id TEXT NOT NULL REFERENCES device_profiles(id),
      unit TEXT NOT NULL,                -- 'mbconv k=3 s=2 mid=96 out=24 act=relu6 @ 112x112x16'
      op TEXT NOT NULL,
      source TEXT NOT NULL CHECK (source IN ('grid','offgrid','import')),
      microseconds REAL NOT NULL,        -- median of `runs` timed runs
      runs INTEGER NOT NULL,
      round INTEGER,
      run_id INTEGER REFERENCES runs(id),
      measured_at TEXT NOT NULL
    );
    CREATE INDEX latency_samples_unit ON latency_samples(profile_id, unit);
    CREATE TABLE latency_networks (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      profile_id TEXT NOT NULL REFERENCES device_profiles(id),
      architecture_hash TEXT NOT NULL REFERENCES architectures(hash),
      purpose TEXT NOT NULL CHECK (purpose IN ('fit','validate','measure')),
      milliseconds REAL NOT NULL,        -- median of `runs` timed runs
      p10_ms REAL,
      p90_ms REAL,
      runs INTEGER NOT NULL,
      predicted_ms REAL,
      run_id INTEGER REFERENCES runs(id),
      measured_at TEXT NOT NULL
    );
    CREATE INDEX latency_networks_profile ON latency_networks(profile_id, purpose);
    CREATE TABLE latency_models (
      profile_id TEXT PRIMARY KEY REFERENCES device_profiles(id),
      model TEXT NOT NULL,               -- JSON of the fitted predictor
      samples INTEGER NOT NULL,
      networks INTEGER NOT NULL,
      fitted_at TEXT NOT NULL
    );
    CREATE TABLE latency_validations (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      run_id INTEGER REFERENCES runs(id),
      profile_id TEXT NOT NULL REFERENCES device_profiles(id),
      space_path TEXT,
      space_hash TEXT,
      kind TEXT NOT NULL,                -- 'sampled' or 'shrunk'
      count INTEGER NOT NULL,
      seed INTEGER,
      rmse_ms REAL NOT NULL,
      mape REAL NOT NULL,                -- mean absolute percentage error, in percent
      within5 REAL NOT NULL,             -- share of networks within ±5%, 0..1
      within10 REAL NOT NULL,
      created_at TEXT NOT NULL
    );
    """
}
