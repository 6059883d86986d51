import Foundation
import NASArch
import NASLatency

/// A direct, loop-by-loop forward pass (NHWC, batch 1) over the same lowered layers and
/// folded parameters the XNNPACK builder consumes, to check the subgraphs against.
enum NaiveReference {
  static func activation(_ a: Activation, _ x: Float) -> Float {
    switch a {
    case .none: return x
    case .relu: return max(0, x)
    case .relu6: return min(6, max(0, x))
    case .hsigmoid: return min(6, max(0, x + 3)) / 6
    case .hswish: return x * min(6, max(0, x + 3)) / 6
    case .sigmoid: return 1 / (1 + exp(-x))
    case .swish: return x / (1 + exp(-x))
    case .gelu: return x / (1 + exp(-1.702 * x))  // the approximation the runtime uses (docs/latency.md)
    }
  }

  static func conv(_ c: ConvLayer, _ w: [Float], _ b: [Float], _ x: [Float], _ input: Shape, _ output: Shape) -> [Float] {
    var y = [Float](repeating: 0, count: output.elements)
    let pad = (c.kernel - 1) / 2
    let cinG = c.inChannels / c.groups, coutG = c.outChannels / c.groups
    for oy in 0..<output.height {
      for ox in 0..<output.width {
        for o in 0..<c.outChannels {
          let g = o / coutG
          var acc = b[o]
          for ky in 0..<c.kernel {
            let iy = oy * c.stride + ky - pad
            if iy < 0 || iy >= input.height { continue }
            for kx in 0..<c.kernel {
              let ix = ox * c.stride + kx - pad
              if ix < 0 || ix >= input.width { continue }
              for i in 0..<cinG {
                let xv = x[(iy * input.width + ix) * input.channels + g * cinG + i]
                acc += w[((o * c.kernel + ky) * c.kernel + kx) * cinG + i] * xv
              }
            }
          }
          y[(oy * output.width + ox) * output.channels + o] = activation(c.activation, acc)
        }
      }
    }
    return y
  }

  static func pool(_ x: [Float], _ s: Shape) -> [Float] {
    var y = [Float](repeating: 0, count: s.channels)
    for p in 0..<(s.height * s.width) { for c in 0..<s.channels { y[c] += x[p * s.channels + c] } }
    return y.map { $0 / Float(s.height * s.width) }
  }

  static func linear(_ w: [Float], _ b: [Float], _ x: [Float], out: Int, act: Activation) -> [Float] {
    (0..<out).map { o in
      var acc = b[o]
      for i in 0..<x.count { acc += w[o * x.count + i] * x[i] }
      return activation(act, acc)
    }
  }

  static func layer(_ p: PlacedLayer, _ params: LayerParameters, _ x: [Float]) -> [Float] {
    switch (p.layer, params) {
    case (.conv(let c), .conv(let w, let b)):
      return conv(c, w, b, x, p.input, p.output)
    case (.squeezeExcite(let se), .squeezeExcite(let rw, let rb, let ew, let eb)):
      let pooled = pool(x, p.input)
      let reduced = linear(rw, rb, pooled, out: se.squeezeChannels, act: se.activation)
      let gate = linear(ew, eb, reduced, out: se.channels, act: se.gate)
      return x.enumerated().map { $0.element * gate[$0.offset % se.channels] }
    case (.globalAveragePool, _):
      return pool(x, p.input)
    case (.linear(let l), .linear(let w, let b)):
      return linear(w, b, x, out: l.outFeatures, act: l.activation)
    default:
      fatalError("parameters do not match \(p.layer)")
    }
  }

  static func forward(_ units: [PlacedUnit], _ params: [[LayerParameters]], _ input: [Float]) -> [Float] {
    var x = input
    for (ui, u) in units.enumerated() {
      var li = 0
      for segment in u.segments {
        let start = x
        for l in segment.layers {
          x = layer(l, params[ui][li], x)
          li += 1
        }
        if segment.residual { x = zip(x, start).map { $0 + $1 } }
      }
    }
    return x
  }
}
