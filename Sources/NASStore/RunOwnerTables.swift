/// The migration that gives a run one owner: the process that creates or resumes it writes its
/// host, pid and a random token into the run's row and keeps a heartbeat there, so a second
/// process that tries to resume a live run is refused and a dead owner is taken over once.
enum RunOwnerTables {
  static let name = "v6-run-owners"

  static let sql = """
    ALTER TABLE runs ADD COLUMN owner_token TEXT;          -- random per owning process; NULL: nobody owns the run
    ALTER TABLE runs ADD COLUMN owner_host TEXT;           -- host name of the owner
    ALTER TABLE runs ADD COLUMN owner_pid INTEGER;         -- its process id on that host
    ALTER TABLE runs ADD COLUMN owner_heartbeat_at TEXT;   -- refreshed while it works
    """
}
