import Foundation

/// A training run stopped after ``step`` steps, with everything needed to continue it exactly:
/// the weights and batch-norm statistics, the optimiser's momentum and the step count (the
/// data order and dropout are functions of the seed and the step, so they need no saving).
///
/// Successive halving saves one after each rung and continues a promoted candidate from it, so
/// training 40 steps and then 80 more gives the same network as 120 steps in one go.
public struct TrainingCheckpoint: Sendable {
  public var weights: WeightSet
  /// Momentum of each trainable tensor, in the engine's storage order, by tensor name.
  public var momentum: [String: [Float]]
  public var step: Int

  static let stepKey = "nas.checkpoint_step"
  static let momentumPrefix = "nas.momentum."

  /// The state of `network` after `step` steps.
  public init(network: Network<Float>, step: Int) {
    weights = network.weights()
    var momentum: [String: [Float]] = [:]
    for p in network.parameters { if let m = p.momentumInStorageOrder() { momentum[p.name] = m } }
    self.momentum = momentum
    self.step = step
  }

  /// Restores the weights and momentum into `network`, which must be the architecture they were
  /// saved from.
  public func restore(into network: Network<Float>) throws(TrainError) {
    try network.load(weights)
    let byName = Dictionary(uniqueKeysWithValues: network.parameters.map { ($0.name, $0) })
    for (name, values) in momentum {
      guard let p = byName[name], p.kind.isTrainable, p.count == values.count else {
        throw .weightsMismatch("the checkpoint's momentum of \(name) does not fit this network")
      }
    }
    for p in network.parameters {
      if let values = momentum[p.name] { p.setMomentumInStorageOrder(values) } else { p.velocity = nil }
    }
  }

  /// The checkpoint as one safetensors file: the weights under their own names, the momentum
  /// under `nas.momentum.NAME`, the step in the metadata.
  public func encoded() -> Data {
    var set = weights
    for name in momentum.keys.sorted() {
      let values = momentum[name]!
      set.tensors.append(NamedTensor(name: Self.momentumPrefix + name, shape: [values.count], values: values))
    }
    set.metadata[Self.stepKey] = String(step)
    return Safetensors.encode(set)
  }

  /// Reads what ``encoded()`` wrote; `source` names it in errors.
  public init(decoding data: Data, source: String) throws(TrainError) {
    var set = try Safetensors.decode(data, path: source)
    guard let text = set.metadata[Self.stepKey], let step = Int(text), step >= 0 else {
      throw .badWeightsFile(path: source, reason: "it is not a training checkpoint (no \(Self.stepKey) in its metadata)")
    }
    var momentum: [String: [Float]] = [:]
    set.tensors.removeAll { t in
      guard t.name.hasPrefix(Self.momentumPrefix) else { return false }
      momentum[String(t.name.dropFirst(Self.momentumPrefix.count))] = t.values
      return true
    }
    set.metadata[Self.stepKey] = nil
    weights = set
    self.momentum = momentum
    self.step = step
  }
}
