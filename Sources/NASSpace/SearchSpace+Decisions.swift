import NASArch
import NASSupport

/// One categorical choice of a space: the unit of sampling, mutation and of the search
/// controller's tokens.
public struct Decision: Hashable, Sendable {
  /// For example `block3.k` or `block5.layer2.expand`.
  public var name: String
  /// The alternatives as written.
  public var labels: [String]
  public var count: Int { labels.count }
  let target: Target

  enum Target: Hashable, Sendable {
    case inputSize, resolution, width
    case stride(Int), widthFactor(Int), depth(Int)
    case layer(template: Int, layer: Int, attribute: LayerAttribute)
  }
}

enum LayerAttribute: String, CaseIterable, Hashable, Sendable {
  case op, k, expand, mid, se, seCh = "se-ch", seGate = "se-gate", act, pwAct = "pw-act", skip
}

/// What a search space cannot resolve.
public enum SpaceError: Error, CustomStringConvertible, Sendable {
  /// The assignment has the wrong length or an index out of range.
  case badAssignment(String)
  /// The assignment resolved to an impossible network.
  case unresolvable(DSLError)

  public var description: String {
    switch self {
    case .badAssignment(let s): return "invalid choice assignment: \(s)"
    case .unresolvable(let e): return e.description
    }
  }
}

extension SearchSpace {
  /// The space's categorical choices, in file order; choices with one alternative are omitted.
  public var decisions: [Decision] {
    var out: [Decision] = []
    let fmt = Architecture.formatNumber
    if !inputSize.isFixed { out.append(Decision(name: "input", labels: inputSize.values.map(String.init), target: .inputSize)) }
    if !resolution.isFixed { out.append(Decision(name: "resolution", labels: resolution.values.map(fmt), target: .resolution)) }
    if !width.isFixed { out.append(Decision(name: "width", labels: width.values.map(fmt), target: .width)) }
    let names = templateNames
    for (ti, t) in templates.enumerated() {
      let prefix = names[ti]
      if !t.stride.isFixed { out.append(Decision(name: "\(prefix).s", labels: t.stride.values.map(String.init), target: .stride(ti))) }
      if !t.widthFactor.isFixed {
        out.append(Decision(name: "\(prefix).width", labels: t.widthFactor.values.map(fmt), target: .widthFactor(ti)))
      }
      if !t.depthDelta.isFixed {
        out.append(
          Decision(
            name: "\(prefix).depth", labels: t.depthDelta.values.map { $0 > 0 ? "+\($0)" : "\($0)" }, target: .depth(ti)))
      }
      let layers = t.perLayer ? t.maxRepeat : 1
      for layer in 0..<layers {
        let layerPrefix = t.perLayer ? "\(prefix).layer\(layer)" : prefix
        for attribute in LayerAttribute.allCases where Self.alternatives(t, attribute) > 1 {
          out.append(
            Decision(
              name: "\(layerPrefix).\(attribute.rawValue)", labels: Self.labels(t, attribute),
              target: .layer(template: ti, layer: layer, attribute: attribute)))
        }
      }
    }
    return out
  }

  /// `stem0`, `block3`, `head1`: a template's role and its index among templates of that role.
  public func templateName(_ index: Int) -> String {
    let role = templates[index].role
    var n = 0
    for i in 0..<index where templates[i].role == role { n += 1 }
    return "\(role.rawValue)\(n)"
  }

  /// Every template's name in one pass (naming them one by one is quadratic in the file).
  public var templateNames: [String] {
    var seen: [UnitRole: Int] = [:]
    return templates.map { t in
      let n = seen[t.role, default: 0]
      seen[t.role] = n + 1
      return "\(t.role.rawValue)\(n)"
    }
  }

  /// How many alternatives an attribute has, without formatting them (most are fixed).
  static func alternatives(_ t: UnitTemplate, _ a: LayerAttribute) -> Int {
    switch a {
    case .op: return t.op.values.count
    case .k: return t.kernel.values.count
    case .expand: return t.expand?.values.count ?? 0
    case .mid: return t.mid?.values.count ?? 0
    case .se: return t.seRatio?.values.count ?? 0
    case .seCh: return t.seChannels?.values.count ?? 0
    case .seGate: return t.seGate.values.count
    case .act: return t.activation.values.count
    case .pwAct: return t.pwActivation.values.count
    case .skip: return t.skip.values.count
    }
  }

  static func labels(_ t: UnitTemplate, _ a: LayerAttribute) -> [String] {
    let fmt = Architecture.formatNumber
    switch a {
    case .op: return t.op.values.map(\.rawValue)
    case .k: return t.kernel.values.map(String.init)
    case .expand: return t.expand?.values.map(fmt) ?? []
    case .mid: return t.mid?.values.map(String.init) ?? []
    case .se: return t.seRatio?.values.map(fmt) ?? []
    case .seCh: return t.seChannels?.values.map(String.init) ?? []
    case .seGate: return t.seGate.values.map(\.rawValue)
    case .act: return t.activation.values.map(\.rawValue)
    case .pwAct: return t.pwActivation.values.map(\.rawValue)
    case .skip: return t.skip.values.map { $0 ? "identity" : "none" }
    }
  }

  /// Resolves one assignment (an index per decision) into an architecture.
  public func architecture(for assignment: [Int]) throws(SpaceError) -> Architecture {
    let decisions = self.decisions
    guard assignment.count == decisions.count else {
      throw .badAssignment("expected \(decisions.count) choices, got \(assignment.count)")
    }
    var sizeIndex = 0, resolutionIndex = 0, widthIndex = 0
    var strides = [Int](repeating: 0, count: templates.count)
    var widths = strides, depths = strides
    var layerChoices: [LayerKey: Int] = [:]
    for (d, index) in zip(decisions, assignment) {
      guard index >= 0 && index < d.count else { throw .badAssignment("\(d.name) has \(d.count) alternatives, got index \(index)") }
      switch d.target {
      case .inputSize: sizeIndex = index
      case .resolution: resolutionIndex = index
      case .width: widthIndex = index
      case .stride(let t): strides[t] = index
      case .widthFactor(let t): widths[t] = index
      case .depth(let t): depths[t] = index
      case .layer(let t, let l, let a): layerChoices[LayerKey(template: t, layer: l, attribute: a)] = index
      }
    }
    let globals = ResolvedGlobals(
      inputSize: max(1, Int((Double(inputSize.values[sizeIndex]) * resolution.values[resolutionIndex]).rounded())),
      width: width.values[widthIndex])
    var picks: [BlockPick] = []
    for (ti, t) in templates.enumerated() {
      let layers = t.perLayer ? t.maxRepeat : 1
      var layerPicks: [LayerPick] = []
      for l in 0..<layers {
        func pick(_ a: LayerAttribute) -> Int { layerChoices[LayerKey(template: ti, layer: l, attribute: a)] ?? 0 }
        layerPicks.append(
          LayerPick(
            op: t.op.values[pick(.op)], kernel: t.kernel.values[pick(.k)], expand: t.expand?.values[pick(.expand)],
            mid: t.mid?.values[pick(.mid)], seRatio: t.seRatio?.values[pick(.se)],
            seChannels: t.seChannels?.values[pick(.seCh)], seGate: t.seGate.values[pick(.seGate)],
            activation: t.activation.values[pick(.act)], pwActivation: t.pwActivation.values[pick(.pwAct)],
            skip: t.skip.values[pick(.skip)]))
      }
      picks.append(
        BlockPick(
          stride: t.stride.values[strides[ti]], widthFactor: t.widthFactor.values[widths[ti]],
          depthDelta: t.depthDelta.values[depths[ti]], layers: layerPicks))
    }
    do {
      return try resolve(globals: globals, picks: picks)
    } catch {
      throw .unresolvable(error)
    }
  }

  /// A uniformly random assignment.
  public func randomAssignment(using rng: inout SeededGenerator) -> [Int] {
    decisions.map { rng.uniform(below: $0.count) }
  }

  /// A random architecture of the space (uniform over assignments).
  public func sample(using rng: inout SeededGenerator) throws(SpaceError) -> Architecture {
    try architecture(for: randomAssignment(using: &rng))
  }

  /// The architecture when the space has no choices.
  public func fixedArchitecture() throws(SpaceError) -> Architecture {
    try architecture(for: [])
  }
}

struct LayerKey: Hashable {
  var template: Int
  var layer: Int
  var attribute: LayerAttribute
}
