/// A 64-byte-aligned heap array owned by a layer and reused from step to step, so a training
/// step allocates nothing once the first batch has run.
final class Buffer<T: TrainScalar> {
  let pointer: UnsafeMutablePointer<T>
  let count: Int

  init(count: Int) {
    self.count = count
    let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * MemoryLayout<T>.stride, alignment: 64)
    pointer = raw.bindMemory(to: T.self, capacity: max(1, count))
    pointer.initialize(repeating: 0, count: max(1, count))
  }

  deinit { UnsafeMutableRawPointer(pointer).deallocate() }

  func zero() { pointer.update(repeating: 0, count: count) }

  /// `existing` when it holds at least `count` elements, a new zeroed buffer otherwise.
  static func ensure(_ existing: Buffer?, _ count: Int) -> Buffer {
    if let existing, existing.count >= count { return existing }
    return Buffer(count: count)
  }
}

/// A batch of activations in NHWC order (batch, height, width, channels), viewing a buffer.
struct Tensor<T: TrainScalar> {
  var buffer: Buffer<T>
  var batch: Int
  var height: Int
  var width: Int
  var channels: Int

  var pointer: UnsafeMutablePointer<T> { buffer.pointer }
  var count: Int { batch * height * width * channels }
  /// Rows of the NHWC matrix (one per pixel of every sample).
  var rows: Int { batch * height * width }
  var perSample: Int { height * width * channels }
}
