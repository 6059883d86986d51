import CZlib
import Foundation

// MARK: - PNG

/// Just enough PNG to read Chromium's screenshots: 8-bit RGB or RGBA, not interlaced, any of the five
/// filters. zlib comes from libz at run time (dlopen), so the test target needs no C module.
struct PNG {
  var width: Int
  var height: Int
  /// 3 (RGB) or 4 (RGBA).
  var channels: Int
  /// Unfiltered rows, `width * channels` bytes each.
  var pixels: [UInt8]

  static func decode(_ data: Data) throws -> PNG {
    let bytes = [UInt8](data)
    func fail(_ why: String) -> BrowserCheck.Failure { BrowserCheck.Failure(description: "PNG: \(why)") }
    guard bytes.count >= 8, bytes[0..<8].elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else {
      throw fail("not a PNG file")
    }
    func u32(_ i: Int) -> Int {
      Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
    }
    var offset = 8
    var width = 0, height = 0, channels = 0
    var compressed: [UInt8] = []
    var sawHeader = false, sawEnd = false
    while offset + 12 <= bytes.count {
      let length = u32(offset)
      let type = String(decoding: bytes[offset + 4..<offset + 8], as: UTF8.self)
      let body = offset + 8
      guard body + length + 4 <= bytes.count else { throw fail("chunk \(type) runs past the end") }
      switch type {
      case "IHDR":
        guard length == 13 else { throw fail("bad IHDR") }
        width = u32(body)
        height = u32(body + 4)
        let depth = bytes[body + 8], colour = bytes[body + 9], interlace = bytes[body + 12]
        guard depth == 8 else { throw fail("bit depth \(depth) (only 8 is supported)") }
        switch colour {
        case 2: channels = 3
        case 6: channels = 4
        default: throw fail("colour type \(colour) (only RGB and RGBA are supported)")
        }
        guard interlace == 0 else { throw fail("interlaced images are not supported") }
        guard bytes[body + 10] == 0, bytes[body + 11] == 0 else { throw fail("unknown compression or filter method") }
        sawHeader = true
      case "IDAT":
        compressed.append(contentsOf: bytes[body..<body + length])
      case "IEND":
        sawEnd = true
      default:
        break
      }
      offset = body + length + 4
      if sawEnd { break }
    }
    guard sawHeader, sawEnd, width > 0, height > 0 else { throw fail("missing IHDR or IEND") }
    let stride = width * channels
    let raw = try Zlib.uncompress(compressed, expectedSize: height * (stride + 1))
    guard raw.count == height * (stride + 1) else {
      throw fail("image data has \(raw.count) bytes, expected \(height * (stride + 1))")
    }
    var pixels = [UInt8](repeating: 0, count: height * stride)
    let bpp = channels
    try raw.withUnsafeBufferPointer { src in
      try pixels.withUnsafeMutableBufferPointer { dst in
        for y in 0..<height {
          let filter = src[y * (stride + 1)]
          let s = y * (stride + 1) + 1, d = y * stride, p = d - stride
          for x in 0..<stride {
            let a = x >= bpp ? Int(dst[d + x - bpp]) : 0
            let b = y > 0 ? Int(dst[p + x]) : 0
            let c = (x >= bpp && y > 0) ? Int(dst[p + x - bpp]) : 0
            let predictor: Int
            switch filter {
            case 0: predictor = 0
            case 1: predictor = a
            case 2: predictor = b
            case 3: predictor = (a + b) / 2
            case 4:
              let est = a + b - c
              let pa = abs(est - a), pb = abs(est - b), pc = abs(est - c)
              predictor = (pa <= pb && pa <= pc) ? a : (pb <= pc ? b : c)
            default: throw fail("unknown filter type \(filter) in row \(y)")
            }
            dst[d + x] = UInt8(truncatingIfNeeded: Int(src[s + x]) + predictor)
          }
        }
      }
    }
    return PNG(width: width, height: height, channels: channels, pixels: pixels)
  }

  /// The pixel at (x, y) as RGB, alpha composited over white.
  func rgb(_ x: Int, _ y: Int) -> (Int, Int, Int) {
    let i = (y * width + x) * channels
    let r = Int(pixels[i]), g = Int(pixels[i + 1]), b = Int(pixels[i + 2])
    guard channels == 4 else { return (r, g, b) }
    let alpha = Int(pixels[i + 3])
    func over(_ v: Int) -> Int { (v * alpha + 255 * (255 - alpha) + 127) / 255 }
    return (over(r), over(g), over(b))
  }

  func summary() -> BrowserCheck.Image {
    var nonWhite = 0
    var seen = [Bool](repeating: false, count: 4096)
    for y in 0..<height {
      for x in 0..<width {
        let (r, g, b) = rgb(x, y)
        if min(r, g, b) < BrowserCheck.Image.nearWhite { nonWhite += 1 }
        seen[(r >> 4) << 8 | (g >> 4) << 4 | b >> 4] = true
      }
    }
    return BrowserCheck.Image(
      width: width, height: height, nonWhiteFraction: Double(nonWhite) / Double(width * height),
      distinctColors: seen.lazy.filter { $0 }.count)
  }
}

/// zlib's `uncompress`, looked up in libz at run time.
/// zlib's one-shot inflate, for the PNG's image data.
enum Zlib {
  static func uncompress(_ input: [UInt8], expectedSize: Int) throws -> [UInt8] {
    // One byte of slack, so that data longer than expected shows as a wrong size, not Z_BUF_ERROR.
    var output = [UInt8](repeating: 0, count: expectedSize + 1)
    var outputSize = uLongf(output.count)
    let status = output.withUnsafeMutableBufferPointer { out in
      input.withUnsafeBufferPointer { inp in CZlib.uncompress(out.baseAddress, &outputSize, inp.baseAddress, uLong(inp.count)) }
    }
    guard status == Z_OK else { throw BrowserCheck.Failure(description: "zlib uncompress failed with status \(status)") }
    return Array(output[0..<Int(outputSize)])
  }
}
