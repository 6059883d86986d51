// swift-tools-version:6.0
import PackageDescription

// Module graph (dependencies flow downwards only; docs/architecture.md draws it, and
// Tests/CLITests/ModuleGraphDocumentationTests.swift checks both against the imports).
let package = Package(
  name: "nas",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "nas", targets: ["nas"]),
    // For the separate fuzzing package in fuzz/, which links the readers it fuzzes.
    .library(name: "NASSpace", targets: ["NASSpace"]),
    .library(name: "NASTrain", targets: ["NASTrain"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
    .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0"),
  ],
  targets: [
    .systemLibrary(name: "CXNNPack", path: "Sources/CXNNPack"),
    .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS"),
    .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
    .systemLibrary(name: "CLibPQ", path: "Sources/CLibPQ"),
    // The training engine's vector kernels, compiled per instruction set and chosen at run time.
    .target(name: "CNASKernels"),

    .target(name: "NASSupport"),
    .target(name: "NASArch", dependencies: ["NASSupport"]),
    .target(name: "NASSpace", dependencies: ["NASArch", "NASSupport"]),
    .target(
      name: "NASStore",
      dependencies: [
        "NASArch", "CLibPQ",
        .product(name: "GRDB", package: "GRDB.swift"),
      ]),
    .target(name: "NASLatency", dependencies: ["NASArch", "NASSpace", "NASStore", "NASSupport", "CXNNPack"]),
    .target(name: "NASTrain", dependencies: ["NASArch", "NASSupport", "COpenBLAS", "CNASKernels", "CZlib"]),
    .target(name: "NASEval", dependencies: ["NASArch", "NASTrain", "NASSupport"]),
    .target(
      name: "NASExport",
      dependencies: ["NASArch", "NASSpace", "NASTrain", "NASSupport", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
      exclude: ["Generated/onnx.proto"]),
    .target(name: "NASSearch", dependencies: ["NASArch", "NASSpace", "NASLatency", "NASEval", "NASStore", "NASSupport"]),
    .target(name: "NASNetAdapt", dependencies: ["NASArch", "NASSpace", "NASLatency", "NASTrain", "NASStore", "NASSupport"]),
    .target(name: "NASReport", dependencies: ["NASArch", "NASSpace", "NASLatency", "NASStore", "NASSupport"]),
    .executableTarget(
      name: "nas",
      dependencies: [
        "NASArch", "NASSpace", "NASStore", "NASLatency", "NASTrain", "NASEval", "NASSearch", "NASNetAdapt", "NASExport", "NASReport", "NASSupport",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    .testTarget(name: "NASArchTests", dependencies: ["NASArch", "NASSpace"]),
    .testTarget(name: "NASSpaceTests", dependencies: ["NASSpace", "NASArch", "NASSupport"]),
    // A real PostgreSQL server for the tests (a throwaway cluster, or NAS_TEST_POSTGRES_URL); not part of `nas`.
    .target(name: "NASTestSupport", path: "Tests/TestSupport"),
    .testTarget(
      name: "NASStoreTests", dependencies: ["NASStore", "NASArch", "NASSpace", "NASTestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
    .testTarget(
      name: "NASLatencyTests", dependencies: ["NASLatency", "NASArch", "NASSpace", "NASStore", "NASSupport", "CXNNPack"],
      exclude: ["Fixtures"]),  // read by path (#filePath), not bundled
    .testTarget(name: "NASTrainTests", dependencies: ["NASTrain", "NASArch", "NASSpace"]),
    .testTarget(name: "NASEvalTests", dependencies: ["NASEval", "NASTrain", "NASArch", "NASSpace"]),
    .testTarget(name: "NASSearchTests", dependencies: ["NASSearch", "NASArch", "NASEval", "NASSpace", "NASStore"]),
    .testTarget(name: "NASNetAdaptTests", dependencies: ["NASNetAdapt", "NASArch", "NASSpace", "NASTrain"]),
    .testTarget(name: "NASExportTests", dependencies: ["NASExport", "NASArch", "NASSpace", "NASTrain", "NASSupport", .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
    // The tests' database writer (many processes writing one file); not part of `nas`.
    .executableTarget(name: "nas-test-writer", dependencies: ["NASArch", "NASStore"], path: "Tests/StoreWriter"),
    .testTarget(name: "NASReportTests", dependencies: ["NASReport", "NASArch", "NASStore"]),
    .testTarget(name: "CLITests", dependencies: ["NASSupport", "nas", "nas-test-writer", "CZlib", "NASTestSupport"]),
  ]
)
