/// The tool version recorded with every run.
enum NASVersion {
  static let string = "0.1.0"
}
