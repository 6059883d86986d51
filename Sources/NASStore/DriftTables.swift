/// The migration that records how validation separated machine-speed drift from predictor
/// error: each validated network's chunk drift ratio, and a validation's figures after the
/// correction (see docs/latency.md, "Drift").
enum DriftTables {
  static let name = "v4-validation-drift"

  static let sql = """
    ALTER TABLE latency_networks ADD COLUMN drift_ratio REAL;          -- validate: speed factor of its chunk
    ALTER TABLE latency_validations ADD COLUMN drift_ratio REAL;       -- median of the chunks' factors
    ALTER TABLE latency_validations ADD COLUMN corrected_mape REAL;    -- percent, against latency / chunk factor
    ALTER TABLE latency_validations ADD COLUMN corrected_within5 REAL;
    ALTER TABLE latency_validations ADD COLUMN corrected_within10 REAL;
    """
}
