import GRDB

/// The versioned schema: an ordered list of named migrations, each appended to `all` and never
/// changed once released; an existing database is migrated on open.
enum Schema {
  /// Each migration's name and SQL, in order. The SQL is SQLite's; ``PostgresSchema`` maps its
  /// types for PostgreSQL, so both engines apply the same migrations under the same names.
  static let all: [(name: String, sql: String)] = [
    ("v1-runs-architectures-evaluations", v1),
    (LatencyTables.name, LatencyTables.sql),
    (NetAdaptTables.name, NetAdaptTables.sql),
    (DriftTables.name, DriftTables.sql),
    (TimingStatisticTables.name, TimingStatisticTables.sql),
    (RunOwnerTables.name, RunOwnerTables.sql),
    (DeviceIdentityTables.name, DeviceIdentityTables.sql),
    (NetAdaptOriginTables.name, NetAdaptOriginTables.sql),
    (EvaluationQueueTables.name, EvaluationQueueTables.sql),
    (FidelityTables.name, FidelityTables.sql),
  ]

  static var migrator: DatabaseMigrator {
    var m = DatabaseMigrator()
    for (name, sql) in all { m.registerMigration(name) { db in try db.execute(sql: sql) } }
    return m
  }

  static let v1 = """
    CREATE TABLE runs (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      kind TEXT NOT NULL CHECK (kind IN ('search','netadapt','bench','validate','train')),
      name TEXT,
      command_line TEXT NOT NULL,
      parameters TEXT NOT NULL,          -- JSON
      space_path TEXT,
      space_hash TEXT,
      seed INTEGER,
      status TEXT NOT NULL CHECK (status IN ('running','finished','interrupted','failed')),
      started_at TEXT NOT NULL,
      ended_at TEXT,
      tool_version TEXT NOT NULL,
      device_profile TEXT
    );
    CREATE TABLE architectures (
      hash TEXT PRIMARY KEY,
      canonical_text TEXT NOT NULL,
      name TEXT,
      space_path TEXT,
      input_resolution INTEGER NOT NULL,
      macs INTEGER NOT NULL,
      params INTEGER NOT NULL,
      created_at TEXT NOT NULL
    );
    CREATE TABLE evaluations (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      run_id INTEGER NOT NULL REFERENCES runs(id),
      architecture_hash TEXT NOT NULL REFERENCES architectures(hash),
      trial INTEGER,
      evaluator TEXT NOT NULL,
      evaluator_config TEXT NOT NULL,     -- JSON
      accuracy REAL,
      predicted_latency_ms REAL,
      device_profile TEXT,
      measured_latency_ms REAL,
      reward REAL,
      status TEXT NOT NULL CHECK (status IN ('running','ok','failed','timed out')),
      message TEXT,
      reused INTEGER NOT NULL DEFAULT 0,
      wall_seconds REAL,
      pid INTEGER,
      heartbeat_at TEXT,
      created_at TEXT NOT NULL
    );
    CREATE INDEX evaluations_run ON evaluations(run_id, trial);
    CREATE INDEX evaluations_reuse ON evaluations(architecture_hash, evaluator_config, status);
    CREATE TABLE run_state (
      run_id INTEGER NOT NULL REFERENCES runs(id),
      key TEXT NOT NULL,
      value BLOB NOT NULL,
      updated_at TEXT NOT NULL,
      PRIMARY KEY (run_id, key)
    );
    CREATE VIEW latest_evaluations AS
      SELECT e.*, a.macs, a.params, a.input_resolution, a.name AS architecture_name
      FROM evaluations e JOIN architectures a ON a.hash = e.architecture_hash
      ORDER BY e.id DESC;
    CREATE VIEW best_per_run AS
      SELECT e.run_id, e.id AS evaluation_id, e.architecture_hash, e.reward, e.accuracy, e.predicted_latency_ms
      FROM evaluations e
      WHERE e.status = 'ok' AND e.reward = (
        SELECT MAX(reward) FROM evaluations x WHERE x.run_id = e.run_id AND x.status = 'ok');
    """
}
