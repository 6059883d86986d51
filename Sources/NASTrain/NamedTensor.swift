/// A tensor in PyTorch layout with its state-dict name: what safetensors files hold and what
/// NetAdapt's channel surgery edits.
///
/// Names follow `units.<unit>.layers.<layer>.<part>` where `<unit>` indexes
/// `Architecture.units`, `<layer>` counts the unit's lowered layers in order, and `<part>` is
/// `conv.weight` [out, in/groups, k, k], `conv.bias`, `bn.weight|bias|running_mean|running_var`,
/// `se.reduce.weight` [squeeze, channels, 1, 1], `se.reduce.bias`, `se.expand.weight`
/// [channels, squeeze, 1, 1], `se.expand.bias`, `fc.weight` [out, in] or `fc.bias`.
public struct NamedTensor: Hashable, Sendable {
  public var name: String
  public var shape: [Int]
  public var values: [Float]

  public init(name: String, shape: [Int], values: [Float]) {
    self.name = name
    self.shape = shape
    self.values = values
  }

  public var count: Int { shape.reduce(1, *) }

  /// The L2 norm of each slice along `axis` (axis 0 of a convolution weight: one norm per
  /// output filter, NetAdapt's ranking).
  public func sliceNorms(axis: Int = 0) -> [Double] {
    guard axis >= 0, axis < shape.count else { return [] }
    let outer = shape[..<axis].reduce(1, *), size = shape[axis], inner = shape[(axis + 1)...].reduce(1, *)
    var norms = [Double](repeating: 0, count: size)
    for o in 0..<outer {
      for s in 0..<size {
        let base = (o * size + s) * inner
        for i in 0..<inner {
          let v = Double(values[base + i])
          norms[s] += v * v
        }
      }
    }
    return norms.map { $0.squareRoot() }
  }

  /// The tensor keeping only `indices` (in the order given) along `axis`: drops pruned
  /// filters (axis 0) or the matching input channels of the next layer (axis 1).
  public func selecting(_ indices: [Int], axis: Int) -> NamedTensor? {
    guard axis >= 0, axis < shape.count, indices.allSatisfy({ $0 >= 0 && $0 < shape[axis] }) else { return nil }
    let outer = shape[..<axis].reduce(1, *), size = shape[axis], inner = shape[(axis + 1)...].reduce(1, *)
    var out: [Float] = []
    out.reserveCapacity(outer * indices.count * inner)
    for o in 0..<outer {
      for s in indices {
        let base = (o * size + s) * inner
        out.append(contentsOf: values[base..<(base + inner)])
      }
    }
    var newShape = shape
    newShape[axis] = indices.count
    return NamedTensor(name: name, shape: newShape, values: out)
  }
}

/// The weights of one network: its tensors in order, and string metadata (the architecture
/// hash under ``WeightSet/architectureHashKey``).
public struct WeightSet: Hashable, Sendable {
  public static let architectureHashKey = "nas.architecture_hash"
  public static let architectureTextKey = "nas.architecture"

  public var tensors: [NamedTensor]
  public var metadata: [String: String]

  public init(tensors: [NamedTensor], metadata: [String: String] = [:]) {
    self.tensors = tensors
    self.metadata = metadata
  }

  public subscript(name: String) -> NamedTensor? {
    get { tensors.first { $0.name == name } }
    set {
      if let i = tensors.firstIndex(where: { $0.name == name }) {
        if let newValue { tensors[i] = newValue } else { tensors.remove(at: i) }
      } else if let newValue {
        tensors.append(newValue)
      }
    }
  }

  /// Tensors of one unit, in order.
  public func tensors(unit: Int) -> [NamedTensor] { tensors.filter { $0.name.hasPrefix("units.\(unit).") } }

  public var architectureHash: String? { metadata[Self.architectureHashKey] }
}

extension Network {
  /// Every tensor in PyTorch layout (single precision), with the architecture's hash and
  /// canonical text in the metadata.
  public func weights() -> WeightSet {
    WeightSet(
      tensors: parameters.map { p in NamedTensor(name: p.name, shape: p.shape, values: p.values().map { Float($0) }) },
      metadata: [
        WeightSet.architectureHashKey: architecture.canonicalHash,
        WeightSet.architectureTextKey: architecture.canonicalText(),
        "format": "pt",
      ])
  }

  /// Loads `weights`. With `requireSameArchitecture` the recorded hash must be this network's
  /// (weights saved for another architecture are refused even when shapes happen to agree);
  /// without it (NetAdapt's surgery) only names and shapes must match. Every tensor must be
  /// present exactly once; on error nothing is changed.
  public func load(_ weights: WeightSet, requireSameArchitecture: Bool = true) throws(TrainError) {
    if requireSameArchitecture {
      guard let hash = weights.architectureHash else {
        throw .weightsMismatch("the weights carry no architecture hash (\(WeightSet.architectureHashKey)); they were not saved by nas")
      }
      guard hash == architecture.canonicalHash else {
        let other = weights.metadata[WeightSet.architectureTextKey].flatMap { Self.nameLine($0) } ?? "another architecture"
        throw .weightsMismatch(
          "the weights are for \(other) (hash \(hash.prefix(12))), not for \(architecture.name ?? "this architecture") (hash \(architecture.shortHash)); train this architecture or pass its own weights")
      }
    }
    var byName: [String: NamedTensor] = [:]
    for t in weights.tensors {
      guard byName[t.name] == nil else { throw .weightsMismatch("tensor \(t.name) appears twice") }
      byName[t.name] = t
    }
    for p in parameters {
      guard let t = byName[p.name] else { throw .weightsMismatch("tensor \(p.name) is missing") }
      guard t.shape == p.shape, t.values.count == p.count else {
        throw .weightsMismatch("tensor \(p.name) has shape \(t.shape), the network needs \(p.shape)")
      }
    }
    let known = Set(parameters.map(\.name))
    if let extra = weights.tensors.first(where: { !known.contains($0.name) }) {
      throw .weightsMismatch("tensor \(extra.name) has no place in this network")
    }
    for p in parameters { p.setValues(byName[p.name]!.values.map { T(Double($0)) }) }
  }

  private static func nameLine(_ text: String) -> String? {
    text.split(separator: "\n").first { $0.hasPrefix("name ") }.map { String($0.dropFirst(5)) }
  }
}
