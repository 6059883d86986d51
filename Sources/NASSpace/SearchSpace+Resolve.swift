import NASArch

extension SearchSpace {
  /// The global alternatives split by what they act on: resolved input sizes (input size ×
  /// resolution multiplier, one entry per pair, so coinciding pairs still count twice) only
  /// change spatial sizes, width multipliers only change channels.
  func globalAxes() throws(DSLError) -> (inputSizes: [Int], widths: [Double]) {
    var sizes: [Int] = []
    for size in inputSize.values {
      for r in resolution.values {
        let resolved = Int((Double(size) * r).rounded())
        guard resolved >= 1, resolved <= 8192 else {
          throw DSLError(
            .impossibleShape, at: resolution.location ?? inputSize.location ?? SourceLocation(file: file, line: 1, column: 1),
            "input \(size) x resolution \(Architecture.formatNumber(r)) gives a \(resolved)-pixel input; it must be between 1 and 8192")
        }
        sizes.append(resolved)
      }
    }
    return (sizes, width.values)
  }

  /// Every combination of global settings (input size × resolution multiplier × width multiplier).
  func globalsList() throws(DSLError) -> [ResolvedGlobals] {
    let axes = try globalAxes()
    return axes.inputSizes.flatMap { size in axes.widths.map { ResolvedGlobals(inputSize: size, width: $0) } }
  }

  /// Channels after the width multiplier, the block's width factor and rounding to the divisor.
  func scaled(_ channels: Int, template t: UnitTemplate, widthFactor: Double, globals g: ResolvedGlobals) -> Int {
    let multiplier: Double
    switch t.scale {
    case .yes: multiplier = g.width * widthFactor
    case .no: multiplier = widthFactor
    case .up: multiplier = max(1, g.width) * widthFactor
    }
    if multiplier == 1 { return channels }
    return ChannelRounding.makeDivisible(Double(channels) * multiplier, divisor: divisor)
  }

  /// The number of layers a template produces for a depth delta.
  func layerCount(_ t: UnitTemplate, depthDelta: Int) -> Int {
    t.role == .block ? max(1, t.repeatCount + depthDelta) : 1
  }

  /// Resolves layer `index` of a template into a unit and places it on `input`.
  func resolveLayer(
    _ t: UnitTemplate, pick lp: LayerPick, index: Int, blockStride: Int, widthFactor: Double, input: Shape,
    globals g: ResolvedGlobals, unitIndex: Int
  ) throws(DSLError) -> PlacedUnit {
    let unit: Unit
    let cin = input.channels
    if t.role == .classifier {
      unit = Unit(
        role: .classifier, op: .classifier, outChannels: classes, normalization: t.normalization ?? .none, dropout: t.dropout)
    } else if lp.op == .pool {
      unit = Unit(role: t.role, op: .pool)
    } else {
      let stride = index == 0 ? blockStride : 1
      var op = lp.op
      let declaredOut = scaled(t.out ?? cin, template: t, widthFactor: widthFactor, globals: g)
      if op == .repvit {
        guard declaredOut == cin else {
          throw DSLError(
            .impossibleShape, at: t.location,
            "repvit keeps its channels, but out=\(declaredOut) differs from its input \(cin)", hint: "use repvit-down to change width")
        }
        guard stride == 1 else {
          throw DSLError(.impossibleShape, at: t.stride.location ?? t.location, "repvit keeps resolution; use repvit-down for stride 2")
        }
      }
      let out = declaredOut
      var mid: Int?
      switch op {
      case .mbconv, .repvit, .repvitDown:
        let base = op == .repvitDown ? out : cin
        if let m = lp.mid {
          mid = scaled(m, template: t, widthFactor: 1, globals: g)
        } else if let e = lp.expand {
          // TF/timm round expanded widths to the divisor; for whole ratios on divisible
          // inputs (MobileNetV2, MnasNet) this equals torchvision's int(round(in * t)).
          mid = ChannelRounding.makeDivisible(Double(base) * e, divisor: divisor, minimum: 1)
        } else {
          mid = op == .mbconv ? cin : 2 * base
        }
        if op == .mbconv && mid == cin {
          op = .sepconv
          mid = nil
        }
      default:
        mid = nil
      }
      var se: UnitSqueezeExcite?
      let wantsSE = lp.seChannels != nil || (lp.seRatio ?? 0) > 0
      if wantsSE && !(t.seAlternate && index % 2 == 1) {
        let squeeze: Int
        if let c = lp.seChannels {
          squeeze = c
        } else {
          let site: Int
          switch op {
          case .mbconv: site = mid ?? cin
          case .conv: site = out
          default: site = cin
          }
          let reference = t.seReference == .input ? cin : site
          squeeze = ChannelRounding.makeDivisible(
            Double(reference) * (lp.seRatio ?? 0), divisor: t.seDivisor ?? divisor, minimum: 1)
        }
        se = UnitSqueezeExcite(squeezeChannels: squeeze, gate: lp.seGate, activation: t.seActivation)
      }
      let residualOps: Set<UnitOp> = [.conv, .sepconv, .mbconv]
      let residual = lp.skip && stride == 1 && cin == out && residualOps.contains(op)
      unit = Unit(
        role: t.role, op: op, kernel: lp.kernel, stride: op == .repvit ? 1 : stride, outChannels: out, midChannels: mid,
        squeezeExcite: se, activation: (op == .repvit || op == .repvitDown) ? .none : lp.activation,
        pwActivation: op == .sepconv ? lp.pwActivation : .none, residual: residual,
        normalization: t.normalization ?? normalization)
    }
    do {
      return try unit.place(input: input, index: unitIndex)
    } catch {
      throw DSLError(.impossibleShape, at: t.location, error.detail)
    }
  }

  /// Resolves a whole template for one pick, returning its placed units.
  func resolveBlock(
    _ t: UnitTemplate, pick: BlockPick, input: Shape, globals g: ResolvedGlobals, firstUnitIndex: Int
  ) throws(DSLError) -> [PlacedUnit] {
    let count = layerCount(t, depthDelta: pick.depthDelta)
    var shape = input
    var placed: [PlacedUnit] = []
    for i in 0..<count {
      let lp = t.perLayer ? pick.layers[min(i, pick.layers.count - 1)] : pick.layers[0]
      let p = try resolveLayer(
        t, pick: lp, index: i, blockStride: pick.stride, widthFactor: pick.widthFactor, input: shape, globals: g,
        unitIndex: firstUnitIndex + i)
      placed.append(p)
      shape = p.output
    }
    if t.skip.isFixed, t.skip.first, !placed.contains(where: { $0.unit.residual }) {
      var hint = "use skip=none, or make the block keep its shape"
      // A skip written in a `let` group: name the statement that uses it.
      if let at = t.skip.location, at.line < t.location.line { hint += "; in the statement at line \(t.location.line)" }
      throw DSLError(
        .impossibleShape, at: t.skip.location ?? t.location,
        "skip=identity cannot apply to any layer here: a residual needs stride 1 and equal input and output channels (input \(input), output \(shape))",
        hint: hint)
    }
    return placed
  }

  /// Resolves one choice of every template into an architecture.
  func resolve(globals g: ResolvedGlobals, picks: [BlockPick]) throws(DSLError) -> Architecture {
    var shape = Shape(square: g.inputSize, channels: inputChannels)
    var units: [Unit] = []
    for (t, pick) in zip(templates, picks) {
      let placed = try resolveBlock(t, pick: pick, input: shape, globals: g, firstUnitIndex: units.count)
      units += placed.map(\.unit)
      shape = placed.last?.output ?? shape
    }
    return Architecture(name: name, inputSize: g.inputSize, inputChannels: inputChannels, classes: classes, units: units)
  }

  /// All per-layer picks a template allows (the product of its per-layer alternatives).
  func layerPicks(_ t: UnitTemplate) -> [LayerPick] {
    var out: [LayerPick] = []
    let expands: [Double?] = t.expand?.values.map { $0 } ?? [nil]
    let mids: [Int?] = t.mid?.values.map { $0 } ?? [nil]
    let ratios: [Double?] = t.seRatio?.values.map { $0 } ?? [nil]
    let seChannels: [Int?] = t.seChannels?.values.map { $0 } ?? [nil]
    for op in t.op.values {
      for k in t.kernel.values {
        for e in expands {
          for m in mids {
            for r in ratios {
              for c in seChannels {
                for gate in t.seGate.values {
                  for act in t.activation.values {
                    for pw in t.pwActivation.values {
                      for skip in t.skip.values {
                        out.append(
                          LayerPick(
                            op: op, kernel: k, expand: e, mid: m, seRatio: r, seChannels: c, seGate: gate, activation: act,
                            pwActivation: pw, skip: skip))
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    return out
  }
}
