import NASArch

/// Turns parsed statements into a ``SearchSpace``, checking keywords, attributes, values,
/// duplicates, order and required sections.
struct SpaceBuilder {
  static let settingKeywords = ["name", "input", "classes", "width", "resolution", "divisor", "batchnorm"]
  static let unitKeywords = ["stem", "block", "head", "classifier"]
  static var keywords: [String] { settingKeywords + unitKeywords + ["let"] }

  static let unitAttributes = [
    "op", "k", "s", "repeat", "out", "width", "depth", "expand", "mid", "se", "se-ch", "se-ref", "se-gate", "se-act",
    "se-divisor", "se-alternate", "act", "pw-act", "skip", "bn", "scale", "choose",
  ]
  static let blockOnlyAttributes: Set<String> = ["repeat", "depth", "choose"]
  static let nonBlockAttributes = unitAttributes.filter { !blockOnlyAttributes.contains($0) }
  static let classifierAttributes = ["bn", "dropout"]
  static let ops: [(String, UnitOp)] = UnitOp.allCases.filter { $0 != .classifier }.map { ($0.rawValue, $0) }
  static let normalizations: [(String, Normalization)] = [("yes", .batchNorm), ("folded", .foldedBatchNorm), ("none", .none)]

  var space: SearchSpace
  private var seenSettings: [String: SourceLocation] = [:]
  private var lastRole: UnitRole?
  /// `let` groups defined so far, and every `let` of the file (to tell "used before its
  /// definition" from "unknown").
  private var groups: [String: Group] = [:]
  private var definitions: [String: SourceLocation] = [:]

  /// A named group of attributes (`let NAME = ...`).
  struct Group {
    var name: String
    var location: SourceLocation
    var attributes: [WrittenAttribute]
  }

  init(file: String, sourceTextHash: String?) {
    space = SearchSpace(file: file, sourceTextHash: sourceTextHash)
  }

  mutating func build(_ statements: [Statement], endOfFile: SourceLocation) throws(DSLError) -> SearchSpace {
    for s in statements where s.keyword == "let" {
      if let name = s.definedName, definitions[name] == nil { definitions[name] = s.definedNameLocation ?? s.location }
    }
    for s in statements {
      if s.keyword == "let" {
        try defineGroup(s)
      } else if Self.settingKeywords.contains(s.keyword) {
        try setting(s)
      } else if Self.unitKeywords.contains(s.keyword) {
        try unitStatement(s)
      } else {
        throw DSLError(
          .unknownKeyword, at: s.location, "unknown keyword '\(s.keyword)'",
          hint: Suggest.hint(for: s.keyword, among: Self.keywords))
      }
    }
    for required in ["input", "classes"] where seenSettings[required] == nil {
      throw DSLError(.missing, at: endOfFile, "missing '\(required)' statement", hint: "add e.g. '\(required == "input" ? "input 224 channels=3" : "classes 1000")'")
    }
    guard lastRole == .classifier else {
      throw DSLError(.missing, at: endOfFile, "missing 'classifier' statement at the end", hint: "add e.g. 'classifier dropout=0.2'")
    }
    guard space.templates.contains(where: { $0.role != .classifier && $0.op.values != [.pool] }) else {
      throw DSLError(.missing, at: endOfFile, "the network has no layers", hint: "add stem, block or head statements")
    }
    if !space.templates.contains(where: { $0.op.values == [.pool] }), let last = space.templates.last {
      throw DSLError(.order, at: last.location, "the classifier needs pooled input", hint: "add 'head pool' before it")
    }
    return space
  }

  private mutating func setting(_ s: Statement) throws(DSLError) {
    if let first = seenSettings[s.keyword] {
      throw DSLError(.duplicate, at: s.location, "duplicate '\(s.keyword)' statement (first at line \(first.line))")
    }
    if lastRole != nil {
      throw DSLError(.order, at: s.location, "'\(s.keyword)' must come before the first stem, block, head or classifier statement")
    }
    seenSettings[s.keyword] = s.location
    let allowedAttributes: [String] = s.keyword == "input" ? ["channels"] : []
    try checkAttributes(s, allowed: allowedAttributes)
    guard s.positionals.count == 1 else {
      throw DSLError(
        s.positionals.isEmpty ? .missing : .syntax, at: s.positionals.count > 1 ? s.positionals[1].location : s.location,
        s.positionals.isEmpty ? "'\(s.keyword)' needs a value" : "'\(s.keyword)' takes one value")
    }
    let v = s.positionals[0]
    switch s.keyword {
    case "name":
      guard !v.isSet else { throw DSLError(.badValue, at: v.location, "name takes one word or a quoted string") }
      space.name = v.atoms[0].0.text
    case "input":
      space.inputSize = try ValueReader.int(v, what: "input size", range: SettingRange.inputSize)
      if let c = s.attributes.first(where: { $0.name == "channels" }) {
        space.inputChannels = try ValueReader.int(c.value, what: "input channels", range: 1...64, allowSet: false).first
      }
    case "classes":
      space.classes = try ValueReader.int(v, what: "classes", range: SettingRange.classes, allowSet: false).first
    case "width":
      space.width = try ValueReader.double(v, what: "width multiplier", above: 0, atMost: SettingRange.multiplierMaximum)
    case "resolution":
      space.resolution = try ValueReader.double(v, what: "resolution multiplier", above: 0, atMost: SettingRange.multiplierMaximum)
    case "divisor":
      space.divisor = try ValueReader.int(v, what: "channel divisor", range: 1...256, allowSet: false).first
    case "batchnorm":
      space.normalization = try ValueReader.word(v, what: "batchnorm form", options: Self.normalizations, allowSet: false).first
    default:
      break
    }
  }

  private func checkAttributes(_ s: Statement, allowed: [String]) throws(DSLError) {
    // A statement has a handful of attributes: a list is cheaper than a set for them.
    var seen: [String] = []
    seen.reserveCapacity(s.attributes.count)
    for a in s.attributes {
      guard allowed.contains(a.name) else {
        if let g = a.group {
          throw DSLError(
            .unknownAttribute, at: g.use,
            "group '\(g.name)' (line \(g.definition.line)) gives '\(a.name)', which '\(s.keyword)' does not take",
            hint: "use a group without \(a.name)= here, or write the attributes out")
        }
        let hint = Suggest.hint(for: a.name, among: allowed)
        let list = allowed.isEmpty ? "it takes none" : "allowed: \(allowed.joined(separator: ", "))"
        throw DSLError(.unknownAttribute, at: a.location, "unknown attribute '\(a.name)' for '\(s.keyword)'; \(list)", hint: hint)
      }
      guard !seen.contains(a.name) else {
        throw DSLError(.duplicate, at: a.location, "attribute '\(a.name)' given twice")
      }
      seen.append(a.name)
    }
  }

  private mutating func unitStatement(_ s: Statement) throws(DSLError) {
    guard let role = UnitRole(rawValue: s.keyword) else { return }
    if let last = lastRole {
      let order: [UnitRole] = [.stem, .block, .head, .classifier]
      if last == .classifier {
        throw DSLError(.duplicate, at: s.location, "nothing may follow the classifier (it must be the last statement)")
      }
      if order.firstIndex(of: role)! < order.firstIndex(of: last)! {
        throw DSLError(.order, at: s.location, "'\(role.rawValue)' cannot follow '\(last.rawValue)'; the order is stem, block, head, classifier")
      }
    }
    lastRole = role
    var t = UnitTemplate(role: role, location: s.location)
    t.normalization = nil
    if role == .classifier {
      try checkAttributes(s, allowed: Self.classifierAttributes)
      if let p = s.positionals.first {
        throw DSLError(.syntax, at: p.location, "'classifier' takes only attributes (bn=, dropout=)")
      }
      for a in s.attributes {
        switch a.name {
        case "bn": t.normalization = try ValueReader.word(a.value, what: "bn", options: Self.normalizations, allowSet: false).first
        case "dropout":
          t.dropout = try ValueReader.double(a.value, what: "dropout", above: 0, atMost: 0.99, allowSet: false, inclusiveLower: true).first
        default: break
        }
      }
      space.templates.append(t)
      return
    }
    let s = try expandingGroup(s)
    let use = s.attributes.lazy.compactMap(\.group).first
    do throws(DSLError) {
      try layerStatement(s, role: role, template: &t)
    } catch {
      // An error pointing above the statement points into the group: say which use it is.
      guard let use, error.location.line < s.location.line else { throw error }
      var e = error
      let context = "in group '\(use.name)', used at line \(use.use.line):\(use.use.column)"
      e.hint = DSLError.escapingControls(e.hint.map { "\($0); \(context)" } ?? context)
      throw e
    }
    space.templates.append(t)
  }

  /// The checks and values of a stem, block or head statement (its group already expanded).
  private func layerStatement(_ s: Statement, role: UnitRole, template t: inout UnitTemplate) throws(DSLError) {
    let allowed = (role == .block ? Self.unitAttributes : Self.nonBlockAttributes) + ["use"]
    try checkAttributes(s, allowed: allowed)
    if s.positionals.count > 1 {
      throw DSLError(.syntax, at: s.positionals[1].location, "unexpected value; attributes are written name=value")
    }
    if let p = s.positionals.first {
      if s.attributes.contains(where: { $0.name == "op" }) {
        throw DSLError(.duplicate, at: p.location, "the op is given both as a word and as op=")
      }
      t.op = try ValueReader.word(p, what: "op", options: Self.ops)
    } else if let a = s.attributes.first(where: { $0.name == "op" }) {
      t.op = try ValueReader.word(a.value, what: "op", options: Self.ops)
    } else {
      throw DSLError(.missing, at: s.location, "'\(s.keyword)' needs an op (\(Self.ops.map(\.0).joined(separator: ", ")))")
    }
    let isPool = t.op.values == [.pool]
    if t.op.values.count > 1 && t.op.values.contains(.pool) {
      throw DSLError(.badValue, at: t.op.location ?? s.location, "pool cannot be an alternative to other ops")
    }
    if isPool, let a = s.attributes.first {
      throw DSLError(.unknownAttribute, at: a.group?.use ?? a.location, "'pool' takes no attributes")
    }
    try fill(&t, from: s)
    if !isPool && t.out == nil && !t.op.values.allSatisfy({ $0 == .repvit }) {
      throw DSLError(.missing, at: s.location, "'\(s.keyword) \(t.op.values.map(\.rawValue).joined(separator: "|"))' needs out=")
    }
  }

  // MARK: - Groups

  /// `let NAME = attributes`: checks the attributes and their values once, where they are
  /// written, and keeps them for the statements that `use=` the group.
  private mutating func defineGroup(_ s: Statement) throws(DSLError) {
    guard let name = s.definedName else { return }
    let nameLocation = s.definedNameLocation ?? s.location
    if let first = groups[name] {
      throw DSLError(
        .duplicate, at: nameLocation, "group '\(name)' is already defined at line \(first.location.line)",
        hint: "give this group another name")
    }
    if lastRole == .classifier {
      throw DSLError(.duplicate, at: s.location, "nothing may follow the classifier (it must be the last statement)")
    }
    if let p = s.positionals.first {
      throw DSLError(
        .syntax, at: p.location, "a group holds only name=value attributes",
        hint: p.isSet || p.atoms.isEmpty ? nil : "write the op as op=\(p.atoms[0].0.text)")
    }
    guard !s.attributes.isEmpty else {
      throw DSLError(.missing, at: s.location, "group '\(name)' has no attributes", hint: "write let \(name) = k={3,5} ...")
    }
    if let u = s.attributes.first(where: { $0.name == "use" }) {
      throw DSLError(.unknownAttribute, at: u.location, "a group cannot use another group", hint: "write the attributes out in this let")
    }
    try checkAttributes(s, allowed: Self.unitAttributes)
    // The values do not depend on the statement that uses the group: check them here, so an
    // error points at the group, once, whether or not the group is used.
    var scratch = UnitTemplate(role: .block, location: s.location)
    if let a = s.attributes.first(where: { $0.name == "op" }) {
      scratch.op = try ValueReader.word(a.value, what: "op", options: Self.ops)
    }
    try fill(&scratch, from: s)
    groups[name] = Group(name: name, location: s.location, attributes: s.attributes)
  }

  /// The statement with its `use=NAME` replaced by the group's attributes, as if they were
  /// written in its place. An attribute given both in the group and on the line is an error.
  private func expandingGroup(_ s: Statement) throws(DSLError) -> Statement {
    guard let useIndex = s.attributes.firstIndex(where: { $0.name == "use" }) else { return s }
    let use = s.attributes[useIndex]
    if let second = s.attributes[(useIndex + 1)...].first(where: { $0.name == "use" }) {
      throw DSLError(.duplicate, at: second.location, "attribute 'use' given twice", hint: "a statement uses one group; merge the two in one let")
    }
    let v = use.value
    guard !v.isSet, let first = v.atoms.first, case .word(let name) = first.0 else {
      throw DSLError(.badValue, at: v.location, "use= takes the name of one group (defined by let)")
    }
    guard let group = groups[name] else {
      let location = first.1
      if let later = definitions[name] {
        throw DSLError(
          .order, at: location, "group '\(name)' is used before its definition at line \(later.line)",
          hint: "move 'let \(name) = ...' above its first use")
      }
      let known = groups.keys.sorted()
      let hint =
        Suggest.hint(for: name, among: known)
        ?? (known.isEmpty ? "define it first: let \(name) = attributes" : "groups defined so far: \(known.joined(separator: ", "))")
      throw DSLError(.badValue, at: location, "unknown group '\(name)'", hint: hint)
    }
    for g in group.attributes {
      if let mine = s.attributes.first(where: { $0.name == g.name }) {
        throw DSLError(
          .duplicate, at: mine.location, "'\(g.name)' is given both here and in group '\(name)' (line \(g.location.line))",
          hint: "a statement cannot override its group: remove one, or define a second group")
      }
      if g.name == "op", let p = s.positionals.first {
        throw DSLError(
          .duplicate, at: p.location, "the op is given both as a word and as op= in group '\(name)' (line \(g.location.line))")
      }
    }
    let origin = GroupUse(name: name, definition: group.location, use: use.location)
    var expanded = s
    expanded.attributes.replaceSubrange(
      useIndex...useIndex,
      with: group.attributes.map { a in
        var a = a
        a.group = origin
        return a
      })
    return expanded
  }

  private func fill(_ t: inout UnitTemplate, from s: Statement) throws(DSLError) {
    let activations = Activation.layerActivations
    for a in s.attributes {
      let v = a.value
      switch a.name {
      case "op": break
      case "k":
        t.kernel = try ValueReader.int(v, what: "kernel", range: 1...15)
        if let bad = t.kernel.values.first(where: { $0 % 2 == 0 }) {
          throw DSLError(.outOfRange, at: v.location, "kernel must be odd, got \(bad)")
        }
      case "s": t.stride = try ValueReader.int(v, what: "stride", range: 1...4)
      case "repeat": t.repeatCount = try ValueReader.int(v, what: "repeat", range: 1...64, allowSet: false).first
      case "out": t.out = try ValueReader.int(v, what: "out channels", range: 1...65536, allowSet: false).first
      case "width": t.widthFactor = try ValueReader.double(v, what: "width factor", above: 0, atMost: 8)
      case "depth": t.depthDelta = try ValueReader.int(v, what: "depth delta", range: -64...64)
      case "expand": t.expand = try ValueReader.double(v, what: "expansion ratio", above: 0, atMost: 64)
      case "mid": t.mid = try ValueReader.int(v, what: "mid channels", range: 1...131072)
      case "se": t.seRatio = try ValueReader.double(v, what: "squeeze-excite ratio", above: 0, atMost: 1, inclusiveLower: true)
      case "se-ch": t.seChannels = try ValueReader.int(v, what: "squeeze-excite channels", range: 1...65536)
      case "se-ref":
        t.seReference = try ValueReader.word(
          v, what: "squeeze-excite reference", options: [("input", SqueezeExciteReference.input), ("expanded", .expanded)],
          allowSet: false
        ).first
      case "se-gate": t.seGate = try ValueReader.activation(v, what: "squeeze-excite gate", allowed: Activation.gates)
      case "se-act":
        t.seActivation = try ValueReader.word(
          v, what: "squeeze-excite activation", options: activations.map { ($0.rawValue, $0) }, allowSet: false
        ).first
      case "se-divisor": t.seDivisor = try ValueReader.int(v, what: "squeeze-excite divisor", range: 1...256, allowSet: false).first
      case "se-alternate":
        t.seAlternate = try ValueReader.word(v, what: "se-alternate", options: [("yes", true), ("no", false)], allowSet: false).first
      case "act": t.activation = try ValueReader.activation(v, what: "activation", allowed: activations)
      case "pw-act": t.pwActivation = try ValueReader.activation(v, what: "pointwise activation", allowed: activations)
      case "skip": t.skip = try ValueReader.word(v, what: "skip", options: [("none", false), ("identity", true)])
      case "bn": t.normalization = try ValueReader.word(v, what: "bn", options: Self.normalizations, allowSet: false).first
      case "scale":
        t.scale = try ValueReader.word(
          v, what: "scale", options: [("yes", WidthScaling.yes), ("no", .no), ("up", .up)], allowSet: false
        ).first
      case "choose":
        t.perLayer = try ValueReader.word(v, what: "choose", options: [("shared", false), ("per-layer", true)], allowSet: false).first
      default: break
      }
    }
    if let e = t.expand, let m = t.mid {
      throw DSLError(.duplicate, at: m.location ?? e.location ?? s.location, "give the expansion either as a ratio (expand=) or as channels (mid=), not both")
    }
    if let r = t.seRatio, let c = t.seChannels {
      throw DSLError(.duplicate, at: c.location ?? r.location ?? s.location, "give squeeze-excite either as a ratio (se=) or as channels (se-ch=), not both")
    }
    let residualFree: Set<UnitOp> = [.repvit, .repvitDown, .pool]
    if t.skip.values.contains(true), let op = t.op.values.first(where: { residualFree.contains($0) }) {
      throw DSLError(.badValue, at: t.skip.location ?? s.location, "skip=identity does not apply to \(op.rawValue) (its residuals are built in)")
    }
  }
}
