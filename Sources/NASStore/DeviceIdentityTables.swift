/// The migration that lets device profiles tell machines apart and marks end-to-end
/// measurements taken on a busy machine.
///
/// The model string, cores, threads, backend and precision alone do not tell machines apart
/// (CPUs reported only as "AMD EPYC" can run XNNPACK 2× apart), so the CPU's family, model,
/// stepping and kernel-selecting flags go into the id too. Rows stored before this migration keep their id, samples and networks: their identity columns stay NULL, which says
/// the identity is unknown, and they remain usable by id.
///
/// End-to-end measurements read 30-40% high while other processes load the machine, so an
/// evaluation records how many cores other processes kept busy while it was measured.
enum DeviceIdentityTables {
  static let name = "v7-device-identity"

  static let sql = """
    ALTER TABLE device_profiles ADD COLUMN cpu_family INTEGER;        -- /proc/cpuinfo "cpu family"; NULL where not reported
    ALTER TABLE device_profiles ADD COLUMN cpu_model_number INTEGER;  -- /proc/cpuinfo "model"
    ALTER TABLE device_profiles ADD COLUMN cpu_stepping INTEGER;      -- /proc/cpuinfo "stepping"
    ALTER TABLE device_profiles ADD COLUMN cpu_flags TEXT;            -- kernel-selecting ISA flags; NULL: identity unknown
    ALTER TABLE evaluations ADD COLUMN measured_under_load REAL;      -- cores other processes kept busy during measured_latency_ms
    """
}
