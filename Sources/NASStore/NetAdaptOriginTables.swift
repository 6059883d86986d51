/// The migration that links a NetAdapt run to the search run it continues.
///
/// MobileNetV3 ran NetAdapt on the result of its platform-aware search; `nas netadapt` on a
/// search's best architecture does the same, and the link lets `nas db runs` show the two as
/// one path. A column rather than a link table: a NetAdapt run continues at most one search.
enum NetAdaptOriginTables {
  static let name = "v8-netadapt-origin"

  static let sql = """
    ALTER TABLE runs ADD COLUMN continues_run INTEGER REFERENCES runs(id);  -- the search run a netadapt run continues; NULL: none
    """
}
