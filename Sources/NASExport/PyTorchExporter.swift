import Foundation
import NASArch
import NASTrain

/// Writes an ``ExportSource`` as one self-contained Python file that needs only `torch`: an
/// `nn.Module` called `Network` whose parameter and buffer names are the ones `nas train --save`
/// writes, so `model.load_state_dict(safetensors.torch.load_file(W))` works as it is.
///
/// `forward()` gives logits, `forward_features()` the maps in `feature_info` (timm's
/// `{"num_chs", "reduction"}` entries), and `preprocess()` scales pixels as the weights expect.
/// The tensors themselves are not in the file: they stay in the safetensors file.
public enum PyTorchExporter {
  /// The Python source.
  public static func export(_ source: ExportSource, options: ExportOptions) throws(ExportError) -> String {
    let arch = source.architecture
    let placed: [PlacedUnit]
    let taps: [FeatureTap]
    do {
      placed = try arch.placedUnits()
      taps = options.featureStrides.isEmpty ? try arch.featureMaps() : try arch.featureTaps(strides: options.featureStrides)
    } catch let error as ArchitectureError {
      throw .architecture(error.description)
    } catch {
      throw .features("\(error)")
    }
    let name = arch.name ?? "architecture"
    let metadata = ExportMetadata(source: source, taps: taps)
    var lines: [String] = []
    lines.append(
      #"""
      """\#(name) (\#(arch.shortHash)) as a PyTorch module, written by nas export\#(options.toolVersion.isEmpty ? "" : " (nas \(options.toolVersion))").

      Needs only torch (and safetensors to load weights saved by nas train or nas netadapt):

          import safetensors.torch
          model = Network()
          model.load_state_dict(safetensors.torch.load_file("weights.safetensors"))
          model.eval()
          logits = model(preprocess(pixels))   # pixels: N x \#(arch.inputChannels) x \#(arch.inputSize) x \#(arch.inputSize), 0-255
          maps = model.forward_features(preprocess(pixels))   # as listed in model.feature_info

      Parameter names are the ones nas writes: units.<unit>.layers.<layer>.conv.weight, .bn.*,
      .se.reduce.*, .se.expand.*, .fc.* (unit and layer as `nas arch info` numbers them).
      Network(in_chans=..., num_classes=...) changes the stem's input channels and the classifier's
      outputs, as timm's create_model does, to train the network on other data.
      """

      import torch
      from torch import nn

      """#)
    let text = arch.canonicalText().replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"\"\"", with: "\\\"\\\"\\\"")
    lines.append("ARCHITECTURE = \"\"\"\\\n" + text + "\"\"\"")
    lines.append("ARCHITECTURE_HASH = \(python(metadata.architectureHash))")
    lines.append("# The input these \(source.trained ? "trained" : "initialised") weights expect: (pixel * scale - mean) / std per channel.")
    let p = source.preprocessing
    lines.append(
      "PREPROCESSING = {\"scale\": \(python(p.scale)), \"mean\": \(python(p.mean)), \"std\": \(python(p.std)), \"input_size\": \(p.inputSize)}"
    )
    lines.append("\n")
    lines.append(PyTorchBlocks.source)
    lines.append("\n")
    lines.append(try network(arch, placed: placed, taps: taps))
    lines.append(
      """


      if __name__ == "__main__":
          model = Network().eval()
          x = torch.randn(2, \(arch.inputChannels), \(arch.inputSize), \(arch.inputSize))
          with torch.no_grad():
              print("logits", tuple(model(x).shape), "features", [tuple(m.shape) for m in model.forward_features(x)])
          print(sum(p.numel() for p in model.parameters()), "parameters")
      """)
    return lines.joined(separator: "\n")
  }

  /// The `Network` class: one constructor call per unit, commented with its index and output.
  static func network(_ arch: Architecture, placed: [PlacedUnit], taps: [FeatureTap]) throws(ExportError) -> String {
    var units: [String] = []
    var cin = "in_chans"
    for unit in placed {
      let u = unit.unit
      let call = try constructor(u, cin: cin, classes: "num_classes")
      let shape = "\(unit.output.channels)x\(unit.output.height)x\(unit.output.width)"
      let kind = u.role.rawValue == u.op.rawValue ? u.op.rawValue : "\(u.role.rawValue) \(u.op.rawValue)"
      units.append("            \(call),  # \(unit.index): \(kind) -> \(shape)")
      cin = String(unit.output.channels)
    }
    let info = taps.map { "            {\"num_chs\": \($0.shape.channels), \"reduction\": \($0.stride), \"unit\": \($0.unit)}," }
    return """
      class Network(nn.Module):
          \"\"\"\(arch.name ?? "The architecture") at \(arch.inputChannels)x\(arch.inputSize)x\(arch.inputSize), \(arch.classes) classes (ARCHITECTURE).\"\"\"

          def __init__(self, in_chans=\(arch.inputChannels), num_classes=\(arch.classes)):
              super().__init__()
              self.units = nn.ModuleList([
      \(units.joined(separator: "\n"))
              ])
              # timm's feature_info: the last map at each stride (unit: the index of the unit it comes from).
              self.feature_info = [
      \(info.joined(separator: "\n"))
              ]

          def forward(self, x):
              for unit in self.units:
                  x = unit(x)
              return x

          def forward_features(self, x):
              \"\"\"The feature maps listed in feature_info, in that order.\"\"\"
              wanted = {f["unit"]: i for i, f in enumerate(self.feature_info)}
              maps = [None] * len(wanted)
              for index, unit in enumerate(self.units):
                  if not wanted:
                      break
                  x = unit(x)
                  if index in wanted:
                      maps[wanted.pop(index)] = x
              return maps
      """
  }

  /// `InvertedResidual(16, 24, kernel=3, stride=2, mid=64, act="relu")` for one unit.
  static func constructor(_ u: NASArch.Unit, cin: String, classes: String) throws(ExportError) -> String {
    var args: [String] = []
    func add(_ key: String, _ value: String) { args.append("\(key)=\(value)") }
    let se = u.squeezeExcite.map { "(\($0.squeezeChannels), \(python($0.activation.rawValue)), \(python($0.gate.rawValue)))" }
    let norm = u.normalization != .none
    switch u.op {
    case .conv, .sepconv, .mbconv:
      args = [cin, String(u.outChannels)]
      add("kernel", String(u.kernel))
      if u.stride != 1 { add("stride", String(u.stride)) }
      if u.op == .mbconv, let mid = u.midChannels { add("mid", String(mid)) }
      add("act", python(u.activation.rawValue))
      if u.op == .sepconv, u.pwActivation != .none { add("pw_act", python(u.pwActivation.rawValue)) }
    case .repvit:
      args = [cin]
      add("kernel", String(u.kernel))
      if let mid = u.midChannels { add("mid", String(mid)) }
    case .repvitDown:
      args = [cin, String(u.outChannels)]
      add("kernel", String(u.kernel))
      add("stride", String(u.stride))
      if let mid = u.midChannels { add("mid", String(mid)) }
    case .pool:
      return "GlobalPool()"
    case .classifier:
      args = [cin, classes]
      if norm { add("norm", "True") }
      if u.dropout > 0 { add("dropout", python(u.dropout)) }
      return "Classifier(\(args.joined(separator: ", ")))"
    }
    if let se { add("se", se) }
    if u.residual, u.op != .repvit, u.op != .repvitDown { add("residual", "True") }
    if !norm { add("norm", "False") }
    let type: String
    switch u.op {
    case .conv: type = "Conv"
    case .sepconv: type = "SeparableConv"
    case .mbconv: type = "InvertedResidual"
    case .repvit: type = "RepViTBlock"
    case .repvitDown: type = "RepViTDownsample"
    case .pool, .classifier: type = ""
    }
    return "\(type)(\(args.joined(separator: ", ")))"
  }

  static func python(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
  static func python(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(format: "%.1f", x) : "\(x)" }
  static func python(_ xs: [Double]) -> String { "[" + xs.map(python).joined(separator: ", ") + "]" }
}
