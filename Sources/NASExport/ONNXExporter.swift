import Foundation
import NASArch
import NASTrain
import SwiftProtobuf

/// What every exporter takes besides the network.
public struct ExportOptions: Sendable {
  /// Strides of the feature maps to output instead of the logits (8, 16, 32 → p3, p4, p5).
  public var featureStrides: [Int]
  /// Keep batch norm as its own operation instead of folding it into the convolution.
  public var keepBatchNorm: Bool
  /// The version of `nas` recorded as the producer.
  public var toolVersion: String

  public init(featureStrides: [Int] = [], keepBatchNorm: Bool = false, toolVersion: String = "") {
    self.featureStrides = featureStrides
    self.keepBatchNorm = keepBatchNorm
    self.toolVersion = toolVersion
  }
}

/// Writes an ``ExportSource`` as an ONNX model: float32, NCHW, input `input` of shape
/// [batch, C, H, W] with a dynamic batch, output `logits` or one output per feature tap
/// (`p3`, `p4`, `p5` …), opset 17, the preprocessing and feature info in `metadata_props`.
public enum ONNXExporter {
  /// The ONNX operator set written; onnxruntime runs it fully.
  public static let opset = 17
  /// The IR version that goes with opset 17.
  static let irVersion: Int64 = 8

  /// The serialised model.
  public static func export(_ source: ExportSource, options: ExportOptions) throws(ExportError) -> Data {
    let model = try self.model(source, options: options)
    do { return try model.serializedData() } catch { throw .architecture("the ONNX model could not be serialised: \(error)") }
  }

  static func model(_ source: ExportSource, options: ExportOptions) throws(ExportError) -> Onnx_ModelProto {
    let arch = source.architecture
    let placed: [PlacedUnit]
    do { placed = try arch.placedUnits() } catch { throw .architecture(error.description) }
    let taps: [FeatureTap]
    do { taps = try arch.featureTaps(strides: options.featureStrides) } catch { throw .features("\(error)") }

    var writer = Writer(source: source, keepBatchNorm: options.keepBatchNorm)
    let lastUnit = taps.map(\.unit).max() ?? placed.count - 1
    var x = "input"
    var unitOutputs: [Int: String] = [:]
    for unit in placed where unit.index <= lastUnit {
      x = try writer.unit(unit, input: x)
      unitOutputs[unit.index] = x
    }
    var graph = Onnx_GraphProto()
    graph.name = arch.name ?? "nas"
    graph.input = [ONNXGraphBuilder.value("input", dims: [.named("batch"), .fixed(arch.inputChannels), .fixed(arch.inputSize), .fixed(arch.inputSize)])]
    if taps.isEmpty {
      writer.b.node("Identity", [x], name: "logits", output: "logits")
      graph.output = [ONNXGraphBuilder.value("logits", dims: [.named("batch"), .fixed(arch.classes)])]
    } else {
      for tap in taps {
        writer.b.node("Identity", [unitOutputs[tap.unit]!], name: tap.name, output: tap.name)
        graph.output.append(
          ONNXGraphBuilder.value(
            tap.name, dims: [.named("batch"), .fixed(tap.shape.channels), .fixed(tap.shape.height), .fixed(tap.shape.width)]))
      }
    }
    graph.node = writer.b.nodes
    graph.initializer = writer.b.initializers

    var model = Onnx_ModelProto()
    model.irVersion = irVersion
    var opsetID = Onnx_OperatorSetIdProto()
    opsetID.domain = ""
    opsetID.version = Int64(opset)
    model.opsetImport = [opsetID]
    model.producerName = "nas"
    model.producerVersion = options.toolVersion
    model.docString = "\(arch.name ?? "architecture") \(arch.shortHash), exported by nas"
    model.graph = graph
    model.metadataProps = ExportMetadata(source: source, taps: taps).properties.map { key, value in
      var p = Onnx_StringStringEntryProto()
      p.key = key
      p.value = value
      return p
    }
    return model
  }

  /// Walks the lowered layers, naming tensors as the training engine names them.
  struct Writer {
    let source: ExportSource
    let keepBatchNorm: Bool
    var b = ONNXGraphBuilder()

    init(source: ExportSource, keepBatchNorm: Bool) {
      self.source = source
      self.keepBatchNorm = keepBatchNorm
    }

    mutating func unit(_ unit: PlacedUnit, input: String) throws(ExportError) -> String {
      var x = input
      var layerIndex = 0
      for segment in unit.segments {
        let segmentInput = x
        for layer in segment.layers {
          let prefix = "units.\(unit.index).layers.\(layerIndex)"
          layerIndex += 1
          switch layer.layer {
          case .conv(let c): x = try conv(c, x, prefix)
          case .squeezeExcite(let se): x = try squeezeExcite(se, x, prefix)
          case .globalAveragePool: x = b.node("GlobalAveragePool", [x], name: prefix)
          case .linear(let l): x = try linear(l, x, prefix)
          }
        }
        if segment.residual { x = b.node("Add", [segmentInput, x], name: "units.\(unit.index).residual") }
      }
      return x
    }

    mutating func conv(_ c: ConvLayer, _ x: String, _ prefix: String) throws(ExportError) -> String {
      let weight = try source.tensor(prefix + ".conv.weight")
      let attributes = [
        ONNXGraphBuilder.ints("kernel_shape", [c.kernel, c.kernel]), ONNXGraphBuilder.ints("strides", [c.stride, c.stride]),
        ONNXGraphBuilder.ints("pads", Array(repeating: (c.kernel - 1) / 2, count: 4)), ONNXGraphBuilder.int("group", c.groups),
      ]
      var y: String
      if c.normalization == .none {
        let bias = try source.tensor(prefix + ".conv.bias")
        let inputs = [x, b.constant(prefix + ".conv.weight", dims: weight.shape, values: weight.values), b.constant(prefix + ".conv.bias", dims: bias.shape, values: bias.values)]
        y = b.node("Conv", inputs, name: prefix, attributes: attributes)
      } else if keepBatchNorm {
        let bn = try source.batchNorm(prefix + ".bn")
        y = b.node("Conv", [x, b.constant(prefix + ".conv.weight", dims: weight.shape, values: weight.values)], name: prefix, attributes: attributes)
        y = batchNormalization(bn, y, prefix + ".bn")
      } else {
        let folded = try source.batchNorm(prefix + ".bn").foldAfter(weights: weight.values, outChannels: c.outChannels)
        let inputs = [x, b.constant(prefix + ".conv.weight", dims: weight.shape, values: folded.weights), b.constant(prefix + ".conv.bias", dims: [c.outChannels], values: folded.bias)]
        y = b.node("Conv", inputs, name: prefix, attributes: attributes)
      }
      return b.activation(c.activation, y, name: prefix)
    }

    mutating func batchNormalization(_ bn: BatchNormTensors, _ x: String, _ prefix: String) -> String {
      let n = bn.gamma.count
      let inputs = [
        x, b.constant(prefix + ".weight", dims: [n], values: bn.gamma), b.constant(prefix + ".bias", dims: [n], values: bn.beta),
        b.constant(prefix + ".running_mean", dims: [n], values: bn.mean), b.constant(prefix + ".running_var", dims: [n], values: bn.variance),
      ]
      return b.node("BatchNormalization", inputs, name: prefix, attributes: [ONNXGraphBuilder.float("epsilon", Float(BatchNormTensors.epsilon))])
    }

    mutating func squeezeExcite(_ se: SqueezeExcite, _ x: String, _ prefix: String) throws(ExportError) -> String {
      func conv1x1(_ name: String, _ input: String) throws(ExportError) -> String {
        let w = try source.tensor(name + ".weight"), bias = try source.tensor(name + ".bias")
        return b.node("Conv", [input, b.constant(name + ".weight", dims: w.shape, values: w.values), b.constant(name + ".bias", dims: bias.shape, values: bias.values)], name: name)
      }
      let pooled = b.node("GlobalAveragePool", [x], name: prefix + ".se")
      let reduced = b.activation(se.activation, try conv1x1(prefix + ".se.reduce", pooled), name: prefix + ".se.reduce")
      let gate = b.activation(se.gate, try conv1x1(prefix + ".se.expand", reduced), name: prefix + ".se.expand")
      return b.node("Mul", [x, gate], name: prefix + ".se")
    }

    mutating func linear(_ l: LinearLayer, _ x: String, _ prefix: String) throws(ExportError) -> String {
      var y = b.node("Flatten", [x], name: prefix, attributes: [ONNXGraphBuilder.int("axis", 1)])
      let weight = try source.tensor(prefix + ".fc.weight"), bias = try source.tensor(prefix + ".fc.bias")
      var w = weight.values, bv = bias.values
      if l.normalizationBefore != nil {
        let bn = try source.batchNorm(prefix + ".bn")
        if keepBatchNorm {
          y = batchNormalization(bn, y, prefix + ".bn")
        } else {
          (w, bv) = bn.foldBefore(weights: w, bias: bv, inFeatures: l.inFeatures)
        }
      }
      let inputs = [y, b.constant(prefix + ".fc.weight", dims: weight.shape, values: w), b.constant(prefix + ".fc.bias", dims: bias.shape, values: bv)]
      y = b.node("Gemm", inputs, name: prefix, attributes: [ONNXGraphBuilder.int("transB", 1)])
      return b.activation(l.activation, y, name: prefix)
    }
  }
}
