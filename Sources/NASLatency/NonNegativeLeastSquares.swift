/// Weighted least squares with non-negative coefficients (Lawson and Hanson's active-set
/// method on the normal equations). Small problems only: a handful of features, any number
/// of rows.
public enum NonNegativeLeastSquares {
  /// Minimises Σ wᵢ (xᵢ·β − yᵢ)² subject to β ≥ 0. Columns that are zero in every row get 0.
  public static func fit(rows: [[Double]], targets: [Double], weights: [Double]? = nil) -> [Double] {
    guard let p = rows.first?.count, p > 0, rows.count == targets.count else { return [] }
    // Scale columns to unit RMS so the normal equations stay well conditioned.
    var scale = [Double](repeating: 0, count: p)
    for r in rows { for j in 0..<p { scale[j] += r[j] * r[j] } }
    scale = scale.map { $0 > 0 ? ($0 / Double(rows.count)).squareRoot() : 0 }
    var gram = [[Double]](repeating: [Double](repeating: 0, count: p), count: p)
    var rhs = [Double](repeating: 0, count: p)
    for (i, r) in rows.enumerated() {
      let w = weights?[i] ?? 1
      let x = (0..<p).map { scale[$0] > 0 ? r[$0] / scale[$0] : 0 }
      for a in 0..<p where x[a] != 0 {
        rhs[a] += w * x[a] * targets[i]
        for b in 0..<p { gram[a][b] += w * x[a] * x[b] }
      }
    }
    let beta = solveGram(gram, rhs, usable: scale.map { $0 > 0 })
    return (0..<p).map { scale[$0] > 0 ? beta[$0] / scale[$0] : 0 }
  }

  /// Active-set NNLS on G = AᵀWA, b = AᵀWy.
  static func solveGram(_ g: [[Double]], _ b: [Double], usable: [Bool]) -> [Double] {
    let p = b.count
    var x = [Double](repeating: 0, count: p)
    var passive = [Bool](repeating: false, count: p)
    let tolerance = 1e-10 * max(1, b.map { abs($0) }.max() ?? 1)
    for _ in 0..<(3 * p + 10) {
      let w = (0..<p).map { j in b[j] - (0..<p).reduce(0) { $0 + g[j][$1] * x[$1] } }
      var best = -1
      var bestW = tolerance
      for j in 0..<p where !passive[j] && usable[j] && w[j] > bestW {
        best = j
        bestW = w[j]
      }
      if best < 0 { break }
      passive[best] = true
      for _ in 0..<(3 * p + 10) {
        let s = solvePassive(g, b, passive)
        let bad = (0..<p).filter { passive[$0] && s[$0] <= 0 }
        if bad.isEmpty {
          x = s
          break
        }
        var alpha = 1.0
        for j in bad where x[j] - s[j] > 0 { alpha = min(alpha, x[j] / (x[j] - s[j])) }
        for j in 0..<p where passive[j] { x[j] += alpha * (s[j] - x[j]) }
        for j in 0..<p where passive[j] && x[j] <= 1e-14 {
          passive[j] = false
          x[j] = 0
        }
      }
    }
    return x
  }

  /// Solves G_PP s_P = b_P (a little ridge keeps it defined), zeros elsewhere.
  static func solvePassive(_ g: [[Double]], _ b: [Double], _ passive: [Bool]) -> [Double] {
    let idx = passive.indices.filter { passive[$0] }
    let n = idx.count
    var m = idx.map { i in idx.map { g[i][$0] } + [b[i]] }
    for k in 0..<n { m[k][k] += 1e-9 * max(1, m[k][k]) }
    // Gaussian elimination with partial pivoting.
    for col in 0..<n {
      var pivot = col
      for r in col..<n where abs(m[r][col]) > abs(m[pivot][col]) { pivot = r }
      m.swapAt(col, pivot)
      let d = m[col][col]
      if abs(d) < 1e-300 { continue }
      for r in 0..<n where r != col {
        let f = m[r][col] / d
        if f == 0 { continue }
        for c in col...n { m[r][c] -= f * m[col][c] }
      }
    }
    var s = [Double](repeating: 0, count: b.count)
    for (k, i) in idx.enumerated() { s[i] = abs(m[k][k]) < 1e-300 ? 0 : m[k][n] / m[k][k] }
    return s
  }
}
