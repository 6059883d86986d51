/// A unit placed in the network with its resolved shapes and lowered layers.
public struct PlacedUnit: Hashable, Sendable {
  public var index: Int
  public var unit: Unit
  public var input: Shape
  public var output: Shape
  /// Lowered segments; each layer with its shapes and costs.
  public var segments: [(layers: [PlacedLayer], residual: Bool)]

  public var layers: [PlacedLayer] { segments.flatMap(\.layers) }
  public var macs: Int { layers.reduce(0) { $0 + $1.macs } }
  public var params: Int { layers.reduce(0) { $0 + $1.params } }

  public static func == (a: PlacedUnit, b: PlacedUnit) -> Bool {
    a.index == b.index && a.unit == b.unit && a.input == b.input && a.output == b.output
  }
  public func hash(into h: inout Hasher) {
    h.combine(index); h.combine(unit); h.combine(input)
  }
}

extension Unit {
  /// Places this unit on an input: lowers it, resolves every layer's shape and costs, and
  /// checks values, strides and residuals. `index` only labels errors.
  public func place(input: Shape, index: Int) throws(ArchitectureError) -> PlacedUnit {
    try Architecture.checkValues(self, index: index)
    var shape = input
    var segments: [(layers: [PlacedLayer], residual: Bool)] = []
    for segment in self.segments(inChannels: shape.channels) {
      let segmentInput = shape
      var layers: [PlacedLayer] = []
      for layer in segment.layers {
        guard let out = layer.output(for: shape) else {
          if case .conv(let c) = layer, c.stride > 1, shape.height <= 1 || shape.width <= 1 {
            throw .resolutionCollapsed(unit: index, input: shape, stride: c.stride)
          }
          throw .incompatibleInput(unit: index, input: shape, what: Architecture.describe(layer))
        }
        // Counts are Ints: refuse networks whose counts could overflow rather than trap.
        if Double(out.elements) * Double(shape.channels) * 225 > 1e17 || Double(layer.weightCountBound) > 1e15 {
          throw .invalidValue(unit: index, what: "the layer is too large to count (\(shape) to \(out)); use fewer channels or a smaller input")
        }
        layers.append(
          PlacedLayer(
            layer: layer, input: shape, output: out, unitIndex: index, macs: layer.macs(output: out), params: layer.params))
        shape = out
      }
      if segment.residual && segmentInput != shape {
        throw .residualAcrossShapeChange(unit: index, input: segmentInput, output: shape)
      }
      segments.append((layers, segment.residual))
    }
    return PlacedUnit(index: index, unit: self, input: input, output: shape, segments: segments)
  }
}

extension Architecture {
  /// Resolves every unit's shapes and layers, checking that the network is well formed:
  /// positive sizes, residuals only where shapes allow, pooling before the classifier, the
  /// classifier last and matching `classes`.
  public func placedUnits() throws(ArchitectureError) -> [PlacedUnit] {
    guard inputSize >= 1 else { throw .invalidValue(unit: nil, what: "input size must be at least 1, got \(inputSize)") }
    guard inputChannels >= 1 else {
      throw .invalidValue(unit: nil, what: "input channels must be at least 1, got \(inputChannels)")
    }
    guard classes >= 1 else { throw .invalidValue(unit: nil, what: "classes must be at least 1, got \(classes)") }
    guard let last = units.last, last.op == .classifier, units.filter({ $0.op == .classifier }).count == 1 else {
      throw .misplacedClassifier
    }
    guard last.outChannels == classes else {
      throw .invalidValue(unit: units.count - 1, what: "classifier has \(last.outChannels) outputs but classes is \(classes)")
    }
    var shape = inputShape
    var placed: [PlacedUnit] = []
    placed.reserveCapacity(units.count)
    for (index, unit) in units.enumerated() {
      let p = try unit.place(input: shape, index: index)
      placed.append(p)
      shape = p.output
    }
    return placed
  }

  /// Shapes and layers, or nil when the architecture is malformed.
  public var placedUnitsIfValid: [PlacedUnit]? { try? placedUnits() }

  static func checkValues(_ u: Unit, index: Int) throws(ArchitectureError) {
    func bad(_ what: String) -> ArchitectureError { .invalidValue(unit: index, what: what) }
    if u.op != .pool && u.op != .classifier {
      guard u.kernel >= 1, u.kernel <= 15, u.kernel % 2 == 1 else { throw bad("kernel must be odd and between 1 and 15, got \(u.kernel)") }
      guard u.stride >= 1, u.stride <= 4 else { throw bad("stride must be between 1 and 4, got \(u.stride)") }
    }
    if u.op != .pool {
      guard u.outChannels >= 1, u.outChannels <= 1 << 16 else { throw bad("out channels must be between 1 and 65536, got \(u.outChannels)") }
    }
    if let mid = u.midChannels {
      guard mid >= 1, mid <= 1 << 17 else { throw bad("mid channels must be between 1 and 131072, got \(mid)") }
    }
    if let se = u.squeezeExcite {
      guard se.squeezeChannels >= 1, se.squeezeChannels <= 1 << 16 else {
        throw bad("squeeze-excite channels must be at least 1, got \(se.squeezeChannels)")
      }
    }
    guard u.dropout >= 0, u.dropout < 1 else { throw bad("dropout must be in [0, 1), got \(u.dropout)") }
  }

  static func describe(_ layer: Layer) -> String {
    switch layer {
    case .conv(let c): return "a \(c.kernel)x\(c.kernel) convolution with \(c.inChannels) input channels"
    case .squeezeExcite: return "squeeze-excite"
    case .globalAveragePool: return "pooling"
    case .linear(let l): return "a fully connected layer with \(l.inFeatures) inputs (it needs a pooled 1x1 input)"
    }
  }
}
