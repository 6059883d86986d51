/// Loads and stores of eight-lane vectors, with partial (masked) forms for channel tails so
/// every kernel has one vector code path whatever the channel count.
@inline(__always)
func load8<T: TrainScalar>(_ p: UnsafePointer<T>) -> SIMD8<T> {
  UnsafeRawPointer(p).loadUnaligned(as: SIMD8<T>.self)
}

@inline(__always)
func store8<T: TrainScalar>(_ v: SIMD8<T>, _ p: UnsafeMutablePointer<T>) {
  UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<T>.self)
}

@inline(__always)
func load8<T: TrainScalar>(_ p: UnsafePointer<T>, _ n: Int) -> SIMD8<T> {
  if n >= 8 { return load8(p) }
  var v = SIMD8<T>()
  for i in 0..<n { v[i] = p[i] }
  return v
}

@inline(__always)
func store8<T: TrainScalar>(_ v: SIMD8<T>, _ p: UnsafeMutablePointer<T>, _ n: Int) {
  if n >= 8 {
    store8(v, p)
    return
  }
  for i in 0..<n { p[i] = v[i] }
}

@inline(__always)
func load8<T: TrainScalar>(_ p: UnsafeMutablePointer<T>) -> SIMD8<T> { load8(UnsafePointer(p)) }

@inline(__always)
func load8<T: TrainScalar>(_ p: UnsafeMutablePointer<T>, _ n: Int) -> SIMD8<T> { load8(UnsafePointer(p), n) }

/// Runs `body(offset, lanes)` over `count` elements in blocks of eight, then once for the
/// tail. The main loop sees `lanes == 8` as a constant, so its loads and stores compile to
/// plain vector moves; only the tail takes the masked path.
@inline(__always)
func blocks(_ count: Int, _ body: (_ offset: Int, _ lanes: Int) -> Void) {
  var c = 0
  while c + 8 <= count {
    body(c, 8)
    c += 8
  }
  if c < count { body(c, count - c) }
}
