/// The shape of one activation tensor (batch excluded), height × width × channels.
public struct Shape: Hashable, Codable, Sendable, CustomStringConvertible {
  public var height: Int
  public var width: Int
  public var channels: Int

  public init(height: Int, width: Int, channels: Int) {
    self.height = height
    self.width = width
    self.channels = channels
  }

  public init(square side: Int, channels: Int) {
    self.init(height: side, width: side, channels: channels)
  }

  public var elements: Int { height * width * channels }

  /// `112x112x16`
  public var description: String { "\(height)x\(width)x\(channels)" }

  /// The spatial size after a "same"-padded convolution (padding (k-1)/2, as torchvision's
  /// MobileNets use): floor((n + 2p - k)/s) + 1.
  public static func convolved(_ n: Int, kernel: Int, stride: Int) -> Int {
    let pad = (kernel - 1) / 2
    return (n + 2 * pad - kernel) / stride + 1
  }
}
