/// What is wrong with a data set on disk.
public enum DataError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The data set is not where it was looked for.
  case missing(what: String, path: String, hint: String)
  /// A file ends before the size its header declares.
  case truncated(path: String, detail: String)
  /// A file is not in the expected format.
  case foreign(path: String, detail: String)
  /// Files that belong together disagree (image and label counts, sizes).
  case inconsistent(String)
  /// A setting is out of range (for example a validation split larger than the training set).
  case invalidSetting(String)

  public var description: String {
    switch self {
    case .missing(let what, let path, let hint): return "\(what) not found at \(path); \(hint)"
    case .truncated(let path, let detail): return "\(path): truncated file (\(detail)); download it again"
    case .foreign(let path, let detail): return "\(path): not a data file nas can read (\(detail))"
    case .inconsistent(let s): return "inconsistent data set: \(s)"
    case .invalidSetting(let s): return "invalid data setting: \(s)"
    }
  }
}
