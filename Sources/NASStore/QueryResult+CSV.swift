extension QueryResult {
  /// The rows as CSV (RFC 4180 quoting, a header line, an empty field for NULL).
  public var csv: String {
    func field(_ s: String?) -> String {
      guard let s else { return "" }
      return s.contains(where: { ",\"\n\r".contains($0) }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
    return ([columns.joined(separator: ",")] + rows.map { $0.map(field).joined(separator: ",") }).map { $0 + "\n" }.joined()
  }
}
