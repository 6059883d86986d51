import Foundation

/// A string as one word of a POSIX shell command line: unchanged when the shell would read it
/// back as it is, else in single quotes (a quote inside becomes `'\''`).
public enum ShellWord {
  private static let plain = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:=,+-@%")

  public static func quoted(_ word: String) -> String {
    if !word.isEmpty, word.unicodeScalars.allSatisfy(plain.contains) { return word }
    return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }
}
