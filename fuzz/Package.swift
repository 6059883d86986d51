// swift-tools-version:6.0
import PackageDescription

// Coverage-guided fuzzers (libFuzzer) for the readers of untrusted files. A separate package,
// so the root package's `swift build` and `swift test` never build it; `run.sh` builds it with
// `-sanitize=fuzzer`, which instruments the root package's libraries as well.
// libFuzzer supplies the loop; each target's entry point hands it the callback (see Entry.swift).
let parseAsLibrary: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

let package = Package(
  name: "nas-fuzz",
  platforms: [.macOS(.v13)],
  dependencies: [
    .package(name: "nas", path: "..")
  ],
  targets: [
    .systemLibrary(name: "CFuzzerDriver", path: "Sources/CFuzzerDriver"),
    .executableTarget(
      name: "fuzz-dsl", dependencies: ["CFuzzerDriver", .product(name: "NASSpace", package: "nas")],
      swiftSettings: parseAsLibrary),
    .executableTarget(
      name: "fuzz-safetensors", dependencies: ["CFuzzerDriver", .product(name: "NASTrain", package: "nas")],
      swiftSettings: parseAsLibrary),
    .executableTarget(
      name: "fuzz-idx", dependencies: ["CFuzzerDriver", .product(name: "NASTrain", package: "nas")],
      swiftSettings: parseAsLibrary),
  ]
)
