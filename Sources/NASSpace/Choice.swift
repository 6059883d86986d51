/// A parameter of a space: one value (fixed) or a set of alternatives the search chooses from.
public struct Choice<Value: Hashable & Sendable>: Hashable, Sendable {
  public var values: [Value]
  /// Where the parameter was written; nil for defaults.
  public var location: SourceLocation?

  public init(_ values: [Value], at location: SourceLocation? = nil) {
    self.values = values
    self.location = location
  }

  public static func fixed(_ value: Value) -> Choice { Choice([value]) }

  public var isFixed: Bool { values.count == 1 }
  /// The first alternative (the value, when fixed).
  public var first: Value { values[0] }
}
