import Foundation
import NASArch
import SwiftProtobuf

/// Accumulates the nodes and initializers of an ONNX graph with fresh value names, so the
/// exporter reads as the network it writes.
struct ONNXGraphBuilder {
  private(set) var nodes: [Onnx_NodeProto] = []
  private(set) var initializers: [Onnx_TensorProto] = []
  private var used: [String: Int] = [:]

  /// A value name not used before, derived from `base`.
  mutating func fresh(_ base: String) -> String {
    let n = used[base, default: 0]
    used[base] = n + 1
    return n == 0 ? base : "\(base)_\(n)"
  }

  /// A float32 initializer; returns its name.
  mutating func constant(_ name: String, dims: [Int], values: [Float]) -> String {
    var t = Onnx_TensorProto()
    t.name = fresh(name)
    t.dims = dims.map(Int64.init)
    t.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
    t.rawData = values.withUnsafeBufferPointer { Data(buffer: $0) }
    initializers.append(t)
    return t.name
  }

  /// A scalar float32 initializer.
  mutating func scalar(_ name: String, _ value: Float) -> String { constant(name, dims: [], values: [value]) }

  /// Appends a node and returns the name of its (first) output.
  @discardableResult
  mutating func node(
    _ op: String, _ inputs: [String], name: String, output: String? = nil, attributes: [Onnx_AttributeProto] = []
  ) -> String {
    var n = Onnx_NodeProto()
    n.opType = op
    n.name = fresh(name + "/" + op)
    n.input = inputs
    let out = output ?? fresh(name + "/" + op.lowercased())
    n.output = [out]
    n.attribute = attributes
    nodes.append(n)
    return out
  }

  static func ints(_ name: String, _ values: [Int]) -> Onnx_AttributeProto {
    var a = Onnx_AttributeProto()
    a.name = name
    a.type = .ints
    a.ints = values.map(Int64.init)
    return a
  }

  static func int(_ name: String, _ value: Int) -> Onnx_AttributeProto {
    var a = Onnx_AttributeProto()
    a.name = name
    a.type = .int
    a.i = Int64(value)
    return a
  }

  static func float(_ name: String, _ value: Float) -> Onnx_AttributeProto {
    var a = Onnx_AttributeProto()
    a.name = name
    a.type = .float
    a.f = value
    return a
  }

  /// A float32 tensor value with named (dynamic) or fixed dimensions.
  static func value(_ name: String, dims: [ONNXDimension]) -> Onnx_ValueInfoProto {
    var shape = Onnx_TensorShapeProto()
    shape.dim = dims.map { d in
      var dim = Onnx_TensorShapeProto.Dimension()
      switch d {
      case .fixed(let n): dim.dimValue = Int64(n)
      case .named(let s): dim.dimParam = s
      }
      return dim
    }
    var tensor = Onnx_TypeProto.Tensor()
    tensor.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
    tensor.shape = shape
    var type = Onnx_TypeProto()
    type.tensorType = tensor
    var v = Onnx_ValueInfoProto()
    v.name = name
    v.type = type
    return v
  }

  // MARK: - Activations

  /// `x` through `activation`; ONNX opset 17 has no GELU, so it is composed from Erf.
  mutating func activation(_ activation: Activation, _ x: String, name: String) -> String {
    switch activation {
    case .none:
      return x
    case .relu:
      return node("Relu", [x], name: name)
    case .relu6:
      return node("Clip", [x, scalar(name + "/zero", 0), scalar(name + "/six", 6)], name: name)
    case .hsigmoid:
      // relu6(x + 3) / 6 = clip(x / 6 + 0.5, 0, 1)
      return node("HardSigmoid", [x], name: name, attributes: [Self.float("alpha", 1.0 / 6), Self.float("beta", 0.5)])
    case .hswish:
      return node("HardSwish", [x], name: name)
    case .sigmoid:
      return node("Sigmoid", [x], name: name)
    case .swish:
      return node("Mul", [x, node("Sigmoid", [x], name: name)], name: name)
    case .gelu:
      // 0.5 · x · (1 + erf(x / √2)), the exact form the training engine uses.
      let erf = node("Erf", [node("Div", [x, scalar(name + "/sqrt2", Float(2.0.squareRoot()))], name: name)], name: name)
      let onePlus = node("Add", [erf, scalar(name + "/one", 1)], name: name)
      return node("Mul", [node("Mul", [x, scalar(name + "/half", 0.5)], name: name), onePlus], name: name)
    }
  }
}

/// One dimension of a graph input or output.
enum ONNXDimension {
  case fixed(Int)
  case named(String)
}
