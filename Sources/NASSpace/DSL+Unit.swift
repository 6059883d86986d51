import NASArch

extension DSL {
  /// One unit written as a layer statement's attributes (`mbconv k=5 s=2 mid=72 out=40 act=relu`,
  /// the form `Architecture.canonicalLine` prints after the role), placed on `input`, read by the
  /// DSL's own parser: the grammar of the latency tables' unit keys. Pool and classifier units
  /// have no attributes to read and are not taken here.
  public static func parseUnit(_ attributes: String, input: Shape) throws(DSLError) -> NASArch.Unit {
    let location = SourceLocation(file: "unit", line: 1, column: 1)
    guard input.height == input.width else {
      throw DSLError(.impossibleShape, at: location, "a unit's input must be square, not \(input.height)x\(input.width)")
    }
    // The unit follows a 1x1 stem that makes the input's channels and comes before the pool and
    // classifier every network ends with; divisor 1 keeps every width as written.
    let text = """
      input \(input.height) channels=1
      classes 1
      divisor 1
      stem conv k=1 s=1 out=\(input.channels) act=relu
      block \(attributes)
      head pool
      classifier

      """
    let architecture = try parseArchitecture(text, file: "unit")
    guard architecture.units.count == 4 else {
      throw DSLError(.impossibleShape, at: location, "'\(attributes)' is not one unit (repeat is not part of a unit)")
    }
    return architecture.units[1]
  }
}
