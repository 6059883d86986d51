/// The block classes every exported PyTorch file carries: one class per unit op of the DSL,
/// built from the same layers, in the same order, as `Unit.segments(inChannels:)` lowers them,
/// so the parameter names are those `nas train --save` writes
/// (`units.<unit>.layers.<layer>.conv.weight` …).
enum PyTorchBlocks {
  static let source = #"""
    def activation(name):
        """The nonlinearity the .arch file names (hsigmoid is ReLU6(x + 3) / 6, GELU the exact erf form)."""
        return {
            "none": nn.Identity, "relu": nn.ReLU, "relu6": nn.ReLU6, "hswish": nn.Hardswish,
            "hsigmoid": nn.Hardsigmoid, "sigmoid": nn.Sigmoid, "swish": nn.SiLU, "gelu": nn.GELU,
        }[name]()


    class ConvNormAct(nn.Module):
        """k x k convolution with "same" padding, batch norm (or a bias when norm is False), activation."""

        def __init__(self, cin, cout, kernel=1, stride=1, groups=1, norm=True, act="none"):
            super().__init__()
            self.conv = nn.Conv2d(cin, cout, kernel, stride, (kernel - 1) // 2, groups=groups, bias=not norm)
            self.bn = nn.BatchNorm2d(cout) if norm else nn.Identity()
            self.act = activation(act)

        def forward(self, x):
            return self.act(self.bn(self.conv(x)))


    class SqueezeExcite(nn.Module):
        """x * gate(expand(act(reduce(mean of x over H, W)))), with 1 x 1 convolutions."""

        def __init__(self, channels, squeeze, act="relu", gate="hsigmoid"):
            super().__init__()
            self.se = nn.ModuleDict({"reduce": nn.Conv2d(channels, squeeze, 1), "expand": nn.Conv2d(squeeze, channels, 1)})
            self.act = activation(act)
            self.gate = activation(gate)

        def forward(self, x):
            s = x.mean((2, 3), keepdim=True)
            return x * self.gate(self.se["expand"](self.act(self.se["reduce"](s))))


    def squeeze_excite(channels, se):
        """[SqueezeExcite] for se = (squeeze channels, activation, gate), [] for None."""
        return [SqueezeExcite(channels, *se)] if se else []


    class Unit(nn.Module):
        """A unit of the .arch file: its layers in order (the state-dict names count them), with an
        identity residual around them when `residual`."""

        def __init__(self, layers, residual=False):
            super().__init__()
            self.layers = nn.ModuleList(layers)
            self.residual = residual

        def forward(self, x):
            y = x
            for layer in self.layers:
                y = layer(y)
            return x + y if self.residual else y


    class Conv(Unit):
        """conv: k x k convolution, batch norm, activation, optional squeeze-excite."""

        def __init__(self, cin, cout, kernel, stride=1, act="none", se=None, residual=False, norm=True):
            super().__init__([ConvNormAct(cin, cout, kernel, stride, norm=norm, act=act)] + squeeze_excite(cout, se), residual)


    class SeparableConv(Unit):
        """sepconv: depthwise k x k + BN + act, optional squeeze-excite, pointwise 1 x 1 + BN (+ pw_act)."""

        def __init__(self, cin, cout, kernel, stride=1, act="none", pw_act="none", se=None, residual=False, norm=True):
            depthwise = ConvNormAct(cin, cin, kernel, stride, groups=cin, norm=norm, act=act)
            pointwise = ConvNormAct(cin, cout, 1, norm=norm, act=pw_act)
            super().__init__([depthwise] + squeeze_excite(cin, se) + [pointwise], residual)


    class InvertedResidual(Unit):
        """mbconv (MobileNetV2/V3, MnasNet): 1 x 1 expansion to mid (absent when mid == cin),
        depthwise k x k, optional squeeze-excite, linear 1 x 1 projection."""

        def __init__(self, cin, cout, kernel, stride=1, mid=None, act="relu", se=None, residual=False, norm=True):
            mid = mid or cin
            expand = [ConvNormAct(cin, mid, 1, norm=norm, act=act)] if mid != cin else []
            depthwise = ConvNormAct(mid, mid, kernel, stride, groups=mid, norm=norm, act=act)
            project = ConvNormAct(mid, cout, 1, norm=norm)
            super().__init__(expand + [depthwise] + squeeze_excite(mid, se) + [project], residual)


    def channel_mixer(channels, hidden, norm):
        """RepViT's FFN: 1 x 1 to hidden, GELU, 1 x 1 back (with a residual around it)."""
        return [ConvNormAct(channels, hidden, 1, norm=norm, act="gelu"), ConvNormAct(hidden, channels, 1, norm=norm)]


    class RepViTBlock(Unit):
        """repvit (fused inference form): depthwise k x k token mixer and optional squeeze-excite,
        then the residual FFN channel mixer."""

        def __init__(self, cin, kernel, mid=None, se=None, norm=True):
            token_mixer = [ConvNormAct(cin, cin, kernel, groups=cin, norm=norm)] + squeeze_excite(cin, se)
            super().__init__(token_mixer + channel_mixer(cin, mid or 2 * cin, norm))
            self.token_mixer = len(token_mixer)

        def forward(self, x):
            for layer in self.layers[: self.token_mixer]:
                x = layer(x)
            expand, project = self.layers[self.token_mixer :]
            return x + project(expand(x))


    class RepViTDownsample(RepViTBlock):
        """repvit-down: depthwise k x k with the stride, optional squeeze-excite, 1 x 1 to cout, then
        the residual FFN channel mixer."""

        def __init__(self, cin, cout, kernel, stride=2, mid=None, se=None, norm=True):
            token_mixer = [ConvNormAct(cin, cin, kernel, stride, groups=cin, norm=norm)] + squeeze_excite(cin, se)
            token_mixer.append(ConvNormAct(cin, cout, 1, norm=norm))
            Unit.__init__(self, token_mixer + channel_mixer(cout, mid or 2 * cout, norm))
            self.token_mixer = len(token_mixer)


    class GlobalPool(Unit):
        """pool: global average pooling to C x 1 x 1."""

        def __init__(self):
            super().__init__([nn.AdaptiveAvgPool2d(1)])


    class Linear(nn.Module):
        """Flatten, batch norm (optional), dropout, fully connected."""

        def __init__(self, cin, cout, norm=False, dropout=0.0):
            super().__init__()
            self.bn = nn.BatchNorm1d(cin) if norm else nn.Identity()
            self.dropout = nn.Dropout(dropout)
            self.fc = nn.Linear(cin, cout)

        def forward(self, x):
            return self.fc(self.dropout(self.bn(torch.flatten(x, 1))))


    class Classifier(Unit):
        """classifier: the fully connected layer to the classes."""

        def __init__(self, cin, classes, norm=False, dropout=0.0):
            super().__init__([Linear(cin, classes, norm, dropout)])


    def preprocess(pixels):
        """(pixel * scale - mean) / std per channel, as nas fed the network: N x C x H x W pixels
        (uint8 or float, 0-255) to the network's input."""
        p = PREPROCESSING
        mean = torch.tensor(p["mean"], dtype=torch.float32).view(1, -1, 1, 1)
        std = torch.tensor(p["std"], dtype=torch.float32).view(1, -1, 1, 1)
        return (pixels.float() * p["scale"] - mean) / std
    """#
}
