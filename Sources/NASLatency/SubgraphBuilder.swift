import CXNNPack
import NASArch

/// Owns float buffers that XNNPACK reads for as long as a subgraph or runtime lives.
final class FloatArena {
  private var blocks: [UnsafeMutableBufferPointer<Float>] = []

  func copy(_ values: [Float]) -> UnsafeMutablePointer<Float> {
    let block = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(1, values.count))
    _ = block.initialize(from: values)
    blocks.append(block)
    return block.baseAddress!
  }

  func zeros(_ count: Int) -> UnsafeMutableBufferPointer<Float> {
    let block = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(1, count))
    block.initialize(repeating: 0)
    blocks.append(block)
    return block
  }

  deinit {
    for b in blocks { b.deallocate() }
  }
}

/// Lowers placed layers into an XNNPACK subgraph: float32 NHWC tensors, batch norm folded,
/// ReLU/ReLU6 fused as the output clamp of the producing node, h-sigmoid folded into the
/// producer's weights and a [0, 1] clamp, h-swish and sigmoid as XNNPACK nodes, swish as
/// x·sigmoid(x), GELU as x·sigmoid(1.702x), squeeze-excite as global pooling, two fully
/// connected layers and a broadcast multiply, residuals as an add.
struct SubgraphBuilder {
  static let inputID: UInt32 = 0
  static let outputID: UInt32 = 1

  let subgraph: xnn_subgraph_t
  let arena: FloatArena
  /// What is being built, for error messages.
  var context: String

  init(arena: FloatArena, context: String) throws(LatencyError) {
    var g: xnn_subgraph_t?
    try XNNPACKLibrary.check(xnn_create_subgraph(2, 0, &g), "xnn_create_subgraph", context)
    subgraph = g!
    self.arena = arena
    self.context = context
  }

  static func dims(_ s: Shape) -> [Int] { [1, s.height, s.width, s.channels] }

  /// A new activation tensor; the network's input or output when `external` is given.
  func value(_ shape: Shape, external: UInt32? = nil) throws(LatencyError) -> UInt32 {
    var id: UInt32 = 0
    let d = Self.dims(shape)
    let flags: UInt32 =
      external == Self.inputID ? UInt32(XNN_VALUE_FLAG_EXTERNAL_INPUT)
      : external == Self.outputID ? UInt32(XNN_VALUE_FLAG_EXTERNAL_OUTPUT) : 0
    let status = d.withUnsafeBufferPointer {
      xnn_define_tensor_value(
        subgraph, xnn_datatype_fp32, 4, $0.baseAddress, nil, external ?? XNN_INVALID_VALUE_ID, flags, &id)
    }
    try XNNPACKLibrary.check(status, "xnn_define_tensor_value", context)
    return id
  }

  /// A static tensor (weights, biases, constants).
  func constant(_ values: [Float], dims d: [Int]) throws(LatencyError) -> UInt32 {
    var id: UInt32 = 0
    let data = arena.copy(values)
    let status = d.withUnsafeBufferPointer {
      xnn_define_tensor_value(subgraph, xnn_datatype_fp32, d.count, $0.baseAddress, data, XNN_INVALID_VALUE_ID, 0, &id)
    }
    try XNNPACKLibrary.check(status, "xnn_define_tensor_value", context)
    return id
  }

  /// The clamp a producing node applies for `activation`; nil when it needs nodes of its own.
  static func fusedRange(_ activation: Activation) -> (min: Float, max: Float)? {
    switch activation {
    case .none: return (-.infinity, .infinity)
    case .relu: return (0, .infinity)
    case .relu6: return (0, 6)
    case .hsigmoid: return (0, 1)  // with the producer's weights and bias scaled (see hsigmoidFolded)
    case .hswish, .sigmoid, .swish, .gelu: return nil
    }
  }

  /// h-sigmoid(x) = clamp(x/6 + 1/2, 0, 1): scale the producer's weights by 1/6 and shift its bias.
  static func hsigmoidFolded(weights: [Float], bias: [Float], _ activation: Activation) -> ([Float], [Float]) {
    guard activation == .hsigmoid else { return (weights, bias) }
    return (weights.map { $0 / 6 }, bias.map { $0 / 6 + 0.5 })
  }

  /// Emits a node producing `shape` through `define(output, min, max)`, followed by whatever
  /// `activation` needs; the last node writes to the network output when `final`.
  func withActivation(
    _ activation: Activation, shape: Shape, final: Bool,
    _ define: (_ output: UInt32, _ min: Float, _ max: Float) -> xnn_status, call: String
  ) throws(LatencyError) -> UInt32 {
    let outExternal: UInt32? = final ? Self.outputID : nil
    if let range = Self.fusedRange(activation) {
      let out = try value(shape, external: outExternal)
      try XNNPACKLibrary.check(define(out, range.min, range.max), call, context)
      return out
    }
    let raw = try value(shape)
    try XNNPACKLibrary.check(define(raw, -.infinity, .infinity), call, context)
    return try apply(activation, to: raw, shape: shape, final: final)
  }

  /// Activations that are nodes of their own.
  func apply(_ activation: Activation, to x: UInt32, shape: Shape, final: Bool) throws(LatencyError) -> UInt32 {
    let outExternal: UInt32? = final ? Self.outputID : nil
    switch activation {
    case .hswish:
      let out = try value(shape, external: outExternal)
      try XNNPACKLibrary.check(xnn_define_hardswish(subgraph, x, out, 0), "xnn_define_hardswish", context)
      return out
    case .sigmoid:
      let out = try value(shape, external: outExternal)
      try XNNPACKLibrary.check(xnn_define_sigmoid(subgraph, x, out, 0), "xnn_define_sigmoid", context)
      return out
    case .swish, .gelu:
      var sigmoidInput = x
      if activation == .gelu {
        // GELU(x) ≈ x·sigmoid(1.702x) (Hendrycks & Gimpel's sigmoid approximation).
        let k = try constant([1.702], dims: [1])
        sigmoidInput = try value(shape)
        try XNNPACKLibrary.check(
          xnn_define_multiply2(subgraph, -.infinity, .infinity, x, k, sigmoidInput, 0), "xnn_define_multiply2", context)
      }
      let s = try value(shape)
      try XNNPACKLibrary.check(xnn_define_sigmoid(subgraph, sigmoidInput, s, 0), "xnn_define_sigmoid", context)
      let out = try value(shape, external: outExternal)
      try XNNPACKLibrary.check(xnn_define_multiply2(subgraph, -.infinity, .infinity, x, s, out, 0), "xnn_define_multiply2", context)
      return out
    case .none, .relu, .relu6, .hsigmoid:
      let range = Self.fusedRange(activation)!
      let out = try value(shape, external: outExternal)
      try XNNPACKLibrary.check(xnn_define_clamp(subgraph, range.min, range.max, x, out, 0), "xnn_define_clamp", context)
      return out
    }
  }

  /// One convolution (full, grouped or depthwise) with "same" padding.
  func convolution(_ c: ConvLayer, weights: [Float], bias: [Float], input: UInt32, output shape: Shape, final: Bool)
    throws(LatencyError) -> UInt32
  {
    let (w, b) = Self.hsigmoidFolded(weights: weights, bias: bias, c.activation)
    let pad = UInt32((c.kernel - 1) / 2)
    let k = UInt32(c.kernel), s = UInt32(c.stride)
    let biasID = try constant(b, dims: [c.outChannels])
    if c.isDepthwise {
      // OHWI with one input channel per group is [c][kh][kw]; XNNPACK wants [1][kh][kw][c].
      let taps = c.kernel * c.kernel
      var t = [Float](repeating: 0, count: w.count)
      for ch in 0..<c.outChannels { for i in 0..<taps { t[i * c.outChannels + ch] = w[ch * taps + i] } }
      let filter = try constant(t, dims: [1, c.kernel, c.kernel, c.outChannels])
      return try withActivation(c.activation, shape: shape, final: final, { out, lo, hi in
        xnn_define_depthwise_convolution_2d(
          subgraph, pad, pad, pad, pad, k, k, s, s, 1, 1, 1, c.inChannels, lo, hi, input, filter, biasID, out, 0)
      }, call: "xnn_define_depthwise_convolution_2d")
    }
    let filter = try constant(w, dims: [c.outChannels, c.kernel, c.kernel, c.inChannels / c.groups])
    return try withActivation(c.activation, shape: shape, final: final, { out, lo, hi in
      xnn_define_convolution_2d(
        subgraph, pad, pad, pad, pad, k, k, s, s, 1, 1, UInt32(c.groups), c.inChannels / c.groups,
        c.outChannels / c.groups, lo, hi, input, filter, biasID, out, 0)
    }, call: "xnn_define_convolution_2d")
  }

  /// A fully connected layer on a 1×1 map.
  func fullyConnected(
    weights: [Float], bias: [Float], outFeatures: Int, inFeatures: Int, activation: Activation, input: UInt32,
    final: Bool
  ) throws(LatencyError) -> UInt32 {
    let (w, b) = Self.hsigmoidFolded(weights: weights, bias: bias, activation)
    let filter = try constant(w, dims: [outFeatures, inFeatures])
    let biasID = try constant(b, dims: [outFeatures])
    return try withActivation(activation, shape: Shape(square: 1, channels: outFeatures), final: final, { out, lo, hi in
      xnn_define_fully_connected(subgraph, lo, hi, input, filter, biasID, out, 0)
    }, call: "xnn_define_fully_connected")
  }

  func globalAveragePool(_ input: UInt32, channels: Int, final: Bool) throws(LatencyError) -> UInt32 {
    let out = try value(Shape(square: 1, channels: channels), external: final ? Self.outputID : nil)
    try XNNPACKLibrary.check(
      xnn_define_global_average_pooling_2d(subgraph, -.infinity, .infinity, input, out, 0),
      "xnn_define_global_average_pooling_2d", context)
    return out
  }

  /// One placed layer.
  func layer(_ placed: PlacedLayer, _ p: LayerParameters, input: UInt32, final: Bool) throws(LatencyError) -> UInt32 {
    switch (placed.layer, p) {
    case (.conv(let c), .conv(let w, let b)):
      return try convolution(c, weights: w, bias: b, input: input, output: placed.output, final: final)
    case (.squeezeExcite(let se), .squeezeExcite(let rw, let rb, let ew, let eb)):
      let pooled = try globalAveragePool(input, channels: se.channels, final: false)
      let reduced = try fullyConnected(
        weights: rw, bias: rb, outFeatures: se.squeezeChannels, inFeatures: se.channels, activation: se.activation,
        input: pooled, final: false)
      let gate = try fullyConnected(
        weights: ew, bias: eb, outFeatures: se.channels, inFeatures: se.squeezeChannels, activation: se.gate,
        input: reduced, final: false)
      let out = try value(placed.output, external: final ? Self.outputID : nil)
      try XNNPACKLibrary.check(
        xnn_define_multiply2(subgraph, -.infinity, .infinity, input, gate, out, 0), "xnn_define_multiply2", context)
      return out
    case (.globalAveragePool, _):
      return try globalAveragePool(input, channels: placed.input.channels, final: final)
    case (.linear(let l), .linear(let w, let b)):
      return try fullyConnected(
        weights: w, bias: b, outFeatures: l.outFeatures, inFeatures: l.inFeatures, activation: l.activation,
        input: input, final: final)
    default:
      throw .invalidArgument("parameters do not match layer \(placed.layer) in \(context)")
    }
  }

  /// Every unit in order, the input tensor external id 0 and the last output external id 1.
  func units(_ units: [PlacedUnit], parameters: [[LayerParameters]]) throws(LatencyError) {
    guard let first = units.first else { throw .invalidArgument("nothing to build in \(context)") }
    var x = try value(first.input, external: Self.inputID)
    for (ui, unit) in units.enumerated() {
      var li = 0
      for (si, segment) in unit.segments.enumerated() {
        let segmentInput = x
        let lastSegment = ui == units.count - 1 && si == unit.segments.count - 1
        for (j, placed) in segment.layers.enumerated() {
          let lastLayer = lastSegment && j == segment.layers.count - 1
          x = try layer(placed, parameters[ui][li], input: x, final: lastLayer && !segment.residual)
          li += 1
        }
        if segment.residual {
          let shape = segment.layers.last?.output ?? unit.input
          let out = try value(shape, external: lastSegment ? Self.outputID : nil)
          try XNNPACKLibrary.check(
            xnn_define_add2(subgraph, -.infinity, .infinity, x, segmentInput, out, 0), "xnn_define_add2", context)
          x = out
        }
      }
    }
  }
}
