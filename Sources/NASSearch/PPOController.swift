import Foundation
import NASSupport

/// MnasNet's search controller: an LSTM that emits a space's decisions token by token, each
/// token from a softmax head of its own and fed back through an embedding, trained with PPO's
/// clipped objective on the reward (advantage = reward − a moving-average baseline,
/// normalised over the batch) and an entropy bonus.
///
/// Small on purpose (32 hidden units, 16-wide embeddings): the controller's cost is negligible
/// next to an evaluation, and a short search needs a policy that moves within tens of samples.
public struct PPOController: SearchStrategy {
  public struct Sample: Codable, Hashable, Sendable {
    public var tokens: [Int]
    public var logProbability: Double
    public var reward: Double?
  }

  public var cardinalities: [Int]
  public var options: StrategyOptions
  public var hiddenSize = 32
  public var embeddingSize = 16
  public var parameters: [Double]
  public var adamFirst: [Double]
  public var adamSecond: [Double]
  public var adamSteps = 0
  public var baseline: Double?
  /// Samples asked, in order; rewards are filled in by `tell`, and a full batch trains.
  public var samples: [Sample] = []
  public var updates = 0
  public var rng: SeededGenerator

  public init(cardinalities: [Int], seed: UInt64, options: StrategyOptions = StrategyOptions()) {
    self.cardinalities = cardinalities
    self.options = options
    rng = SeededGenerator(seed: seed)
    let layout = Layout(cardinalities: cardinalities, hidden: hiddenSize, embedding: embeddingSize)
    parameters = (0..<layout.count).map { _ in 0 }
    for i in parameters.indices { parameters[i] = (rng.unitDouble() * 2 - 1) * 0.08 }
    // Forget-gate bias 1 (a standard LSTM initialisation); output heads near zero so the
    // first policy is close to uniform and the first samples explore.
    for j in hiddenSize..<(2 * hiddenSize) { parameters[layout.lstmBias + j] = 1 }
    for d in cardinalities.indices {
      for k in 0..<(cardinalities[d] * (hiddenSize + 1)) { parameters[layout.heads[d] + k] *= 0.1 }
    }
    adamFirst = [Double](repeating: 0, count: layout.count)
    adamSecond = adamFirst
  }

  public mutating func ask() -> [Int] {
    let pass = forward(tokens: nil)
    samples.append(Sample(tokens: pass.tokens, logProbability: pass.logProbability, reward: nil))
    return pass.tokens
  }

  public mutating func tell(_ assignment: [Int], reward: Double) {
    guard let i = samples.firstIndex(where: { $0.reward == nil }) else { return }
    samples[i].reward = reward.isFinite ? reward : 0
    let done = samples.prefix { $0.reward != nil }
    if done.count >= options.batch {
      train(Array(done.prefix(options.batch)))
      samples.removeFirst(options.batch)
    }
  }

  /// The probability the current policy gives to a sequence of tokens.
  public func logProbability(of tokens: [Int]) -> Double {
    var copy = self
    return copy.forward(tokens: tokens).logProbability
  }

  // MARK: - Policy

  struct Layout {
    var start = 0
    var embeddings: [Int] = []
    var lstmWeights = 0
    var lstmBias = 0
    var heads: [Int] = []
    var count = 0

    init(cardinalities: [Int], hidden: Int, embedding: Int) {
      var offset = embedding
      for c in cardinalities {
        embeddings.append(offset)
        offset += c * embedding
      }
      lstmWeights = offset
      offset += 4 * hidden * (embedding + hidden)
      lstmBias = offset
      offset += 4 * hidden
      for c in cardinalities {
        heads.append(offset)
        offset += c * hidden + c
      }
      count = offset
    }
  }

  struct Step {
    var input: [Double]
    var previousHidden: [Double]
    var previousCell: [Double]
    var gates: [Double]  // i, f, o, g after their nonlinearities
    var cell: [Double]
    var hidden: [Double]
    var probabilities: [Double]
    var token: Int
  }

  struct Pass {
    var tokens: [Int]
    var logProbability: Double
    var steps: [Step]
  }

  mutating func forward(tokens given: [Int]?) -> Pass {
    let layout = Layout(cardinalities: cardinalities, hidden: hiddenSize, embedding: embeddingSize)
    let H = hiddenSize, E = embeddingSize
    var h = [Double](repeating: 0, count: H)
    var c = [Double](repeating: 0, count: H)
    var tokens: [Int] = []
    var steps: [Step] = []
    var logProbability = 0.0
    let p = parameters
    for t in cardinalities.indices {
      let x: [Double]
      if t == 0 {
        x = Array(p[layout.start..<(layout.start + E)])
      } else {
        let base = layout.embeddings[t - 1] + tokens[t - 1] * E
        x = Array(p[base..<(base + E)])
      }
      let xh = x + h
      var gates = [Double](repeating: 0, count: 4 * H)
      for r in 0..<(4 * H) {
        var s = p[layout.lstmBias + r]
        let row = layout.lstmWeights + r * (E + H)
        for k in 0..<(E + H) { s += p[row + k] * xh[k] }
        gates[r] = r < 3 * H ? 1 / (1 + exp(-s)) : tanh(s)
      }
      var newCell = [Double](repeating: 0, count: H)
      var newHidden = newCell
      for j in 0..<H {
        newCell[j] = gates[H + j] * c[j] + gates[j] * gates[3 * H + j]
        newHidden[j] = gates[2 * H + j] * tanh(newCell[j])
      }
      let n = cardinalities[t]
      var logits = [Double](repeating: 0, count: n)
      let head = layout.heads[t]
      for k in 0..<n {
        var s = p[head + n * H + k]
        for j in 0..<H { s += p[head + k * H + j] * newHidden[j] }
        logits[k] = s
      }
      let m = logits.max() ?? 0
      var probabilities = logits.map { exp($0 - m) }
      let z = probabilities.reduce(0, +)
      probabilities = probabilities.map { $0 / z }
      let token: Int
      if let given {
        token = given[t]
      } else {
        var u = rng.unitDouble()
        var chosen = n - 1
        for k in 0..<n {
          u -= probabilities[k]
          if u < 0 { chosen = k; break }
        }
        token = chosen
      }
      logProbability += log(max(probabilities[token], 1e-300))
      steps.append(
        Step(
          input: x, previousHidden: h, previousCell: c, gates: gates, cell: newCell, hidden: newHidden,
          probabilities: probabilities, token: token))
      tokens.append(token)
      h = newHidden
      c = newCell
    }
    return Pass(tokens: tokens, logProbability: logProbability, steps: steps)
  }

  /// Adds to `gradient` the gradient of `weight · log π(tokens) + entropyWeight · Σ entropy`.
  func backward(_ pass: Pass, weight: Double, entropyWeight: Double, into gradient: inout [Double]) {
    let layout = Layout(cardinalities: cardinalities, hidden: hiddenSize, embedding: embeddingSize)
    let H = hiddenSize, E = embeddingSize
    let p = parameters
    var dhNext = [Double](repeating: 0, count: H)
    var dcNext = dhNext
    for t in pass.steps.indices.reversed() {
      let s = pass.steps[t]
      let n = cardinalities[t]
      let entropy = -s.probabilities.reduce(0) { $0 + ($1 > 0 ? $1 * log($1) : 0) }
      var dLogits = [Double](repeating: 0, count: n)
      for k in 0..<n {
        let pk = s.probabilities[k]
        dLogits[k] = weight * ((k == s.token ? 1 : 0) - pk) - entropyWeight * pk * (log(max(pk, 1e-300)) + entropy)
      }
      let head = layout.heads[t]
      var dh = dhNext
      for k in 0..<n {
        gradient[head + n * H + k] += dLogits[k]
        for j in 0..<H {
          gradient[head + k * H + j] += dLogits[k] * s.hidden[j]
          dh[j] += p[head + k * H + j] * dLogits[k]
        }
      }
      var dz = [Double](repeating: 0, count: 4 * H)
      var dcPrevious = [Double](repeating: 0, count: H)
      for j in 0..<H {
        let i = s.gates[j], f = s.gates[H + j], o = s.gates[2 * H + j], g = s.gates[3 * H + j]
        let tc = tanh(s.cell[j])
        let dc = dh[j] * o * (1 - tc * tc) + dcNext[j]
        dz[j] = dc * g * i * (1 - i)
        dz[H + j] = dc * s.previousCell[j] * f * (1 - f)
        dz[2 * H + j] = dh[j] * tc * o * (1 - o)
        dz[3 * H + j] = dc * i * (1 - g * g)
        dcPrevious[j] = dc * f
      }
      let xh = s.input + s.previousHidden
      var dxh = [Double](repeating: 0, count: E + H)
      for r in 0..<(4 * H) where dz[r] != 0 {
        gradient[layout.lstmBias + r] += dz[r]
        let row = layout.lstmWeights + r * (E + H)
        for k in 0..<(E + H) {
          gradient[row + k] += dz[r] * xh[k]
          dxh[k] += p[row + k] * dz[r]
        }
      }
      let inputBase = t == 0 ? layout.start : layout.embeddings[t - 1] + pass.steps[t - 1].token * E
      for k in 0..<E { gradient[inputBase + k] += dxh[k] }
      dhNext = Array(dxh[E...])
      dcNext = dcPrevious
    }
  }

  /// PPO on one batch: several epochs of the clipped surrogate, then the baseline moves.
  private mutating func train(_ batch: [Sample]) {
    let rewards = batch.map { $0.reward ?? 0 }
    let mean = rewards.reduce(0, +) / Double(rewards.count)
    let b = baseline ?? mean
    let spread = sqrt(rewards.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(rewards.count))
    let advantages = rewards.map { ($0 - b) / (spread + 1e-8) }
    let n = Double(batch.count)
    for _ in 0..<options.epochs {
      var gradient = [Double](repeating: 0, count: parameters.count)
      for (sample, advantage) in zip(batch, advantages) {
        let pass = forward(tokens: sample.tokens)
        let ratio = exp(pass.logProbability - sample.logProbability)
        let clipped = (advantage > 0 && ratio > 1 + options.clip) || (advantage < 0 && ratio < 1 - options.clip)
        backward(pass, weight: clipped ? 0 : advantage * ratio / n, entropyWeight: options.entropy / n, into: &gradient)
      }
      adamAscend(gradient)
    }
    baseline = options.baselineDecay * b + (1 - options.baselineDecay) * mean
    updates += 1
  }

  private mutating func adamAscend(_ gradient: [Double]) {
    adamSteps += 1
    let beta1 = 0.9, beta2 = 0.999
    let c1 = 1 - pow(beta1, Double(adamSteps)), c2 = 1 - pow(beta2, Double(adamSteps))
    for i in parameters.indices {
      adamFirst[i] = beta1 * adamFirst[i] + (1 - beta1) * gradient[i]
      adamSecond[i] = beta2 * adamSecond[i] + (1 - beta2) * gradient[i] * gradient[i]
      parameters[i] += options.learningRate * (adamFirst[i] / c1) / ((adamSecond[i] / c2).squareRoot() + 1e-8)
    }
  }
}
