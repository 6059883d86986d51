extension Unit {
  /// The primitive layers of this unit for an input of `inChannels` channels, grouped into
  /// segments that may carry a residual. This is the one definition of each op's layers,
  /// shared by cost counting, the training engine and the XNNPACK builder.
  public func segments(inChannels cin: Int) -> [UnitSegment] {
    let norm = normalization
    func se(_ channels: Int) -> [Layer] {
      guard let s = squeezeExcite else { return [] }
      return [
        .squeezeExcite(
          SqueezeExcite(channels: channels, squeezeChannels: s.squeezeChannels, activation: s.activation, gate: s.gate))
      ]
    }
    func ffn(_ c: Int) -> UnitSegment {
      let hidden = midChannels ?? 2 * c
      return UnitSegment(
        layers: [
          .conv(ConvLayer(kernel: 1, stride: 1, inChannels: c, outChannels: hidden, normalization: norm, activation: .gelu)),
          .conv(ConvLayer(kernel: 1, stride: 1, inChannels: hidden, outChannels: c, normalization: norm, activation: .none)),
        ], residual: true)
    }
    switch op {
    case .conv:
      let conv = Layer.conv(
        ConvLayer(
          kernel: kernel, stride: stride, inChannels: cin, outChannels: outChannels, normalization: norm,
          activation: activation))
      return [UnitSegment(layers: [conv] + se(outChannels), residual: residual)]
    case .sepconv:
      let dw = Layer.conv(
        ConvLayer(
          kernel: kernel, stride: stride, inChannels: cin, outChannels: cin, groups: cin, normalization: norm,
          activation: activation))
      let pw = Layer.conv(
        ConvLayer(kernel: 1, stride: 1, inChannels: cin, outChannels: outChannels, normalization: norm, activation: pwActivation))
      return [UnitSegment(layers: [dw] + se(cin) + [pw], residual: residual)]
    case .mbconv:
      let mid = midChannels ?? cin
      var layers: [Layer] = []
      if mid != cin {
        layers.append(
          .conv(ConvLayer(kernel: 1, stride: 1, inChannels: cin, outChannels: mid, normalization: norm, activation: activation)))
      }
      layers.append(
        .conv(
          ConvLayer(
            kernel: kernel, stride: stride, inChannels: mid, outChannels: mid, groups: mid, normalization: norm,
            activation: activation)))
      layers += se(mid)
      layers.append(
        .conv(ConvLayer(kernel: 1, stride: 1, inChannels: mid, outChannels: outChannels, normalization: norm, activation: .none)))
      return [UnitSegment(layers: layers, residual: residual)]
    case .repvit:
      let dw = Layer.conv(
        ConvLayer(
          kernel: kernel, stride: 1, inChannels: cin, outChannels: cin, groups: cin, normalization: norm, activation: .none))
      return [UnitSegment(layers: [dw] + se(cin), residual: false), ffn(cin)]
    case .repvitDown:
      let dw = Layer.conv(
        ConvLayer(
          kernel: kernel, stride: stride, inChannels: cin, outChannels: cin, groups: cin, normalization: norm,
          activation: .none))
      let pw = Layer.conv(
        ConvLayer(kernel: 1, stride: 1, inChannels: cin, outChannels: outChannels, normalization: norm, activation: .none))
      return [UnitSegment(layers: [dw] + se(cin) + [pw], residual: false), ffn(outChannels)]
    case .pool:
      return [UnitSegment(layers: [.globalAveragePool], residual: false)]
    case .classifier:
      let bn: Normalization? = normalization == .none ? nil : normalization
      return [
        UnitSegment(
          layers: [
            .linear(
              LinearLayer(
                inFeatures: cin, outFeatures: outChannels, normalizationBefore: bn, activation: .none,
                dropoutBefore: dropout))
          ], residual: false)
      ]
    }
  }

  /// Output channels of this unit given its input channels (`pool` keeps them).
  public func outputChannels(inChannels: Int) -> Int {
    op == .pool ? inChannels : outChannels
  }
}
