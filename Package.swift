// swift-tools-version:6.0
// Dependencies point one way: Proxy → Upstream → Transport → EventLoop → Posix → CShims.
// CQLProtocol depends on nothing; Compression only on Debian's liblz4/libsnappy (CLZ4, CSnappy).
// CQLMock (the in-memory cluster) is never linked into Proxy.
import PackageDescription

/// Release builds of the modules on the request path skip the runtime exclusivity checks: callgrind put them at
/// a quarter of the proxy's instructions per request (every class property access is a `swift_beginAccess`).
/// Debug builds, which every test and the sanitizer runs use, keep them. Cross-module optimization lets the
/// small calls a frame makes across modules (header parsing, buffer and queue operations, flag constants)
/// be inlined instead of called through lazily initialised globals.
let dataPath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked", "-cross-module-optimization"], .when(configuration: .release))]

let package = Package(
    name: "cql-proxy",
    products: [
        .executable(name: "cql-proxy", targets: ["cql-proxy"]),
        .executable(name: "cql-mock", targets: ["cql-mock"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.1.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
    ],
    targets: [
        .target(name: "CShims"),
        .target(name: "Posix", dependencies: ["CShims"], swiftSettings: dataPath),
        .target(name: "EventLoop", dependencies: ["Posix", "CShims"], swiftSettings: dataPath),
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL", pkgConfig: "openssl",
                       providers: [.apt(["libssl-dev"])]),
        .target(name: "Transport", dependencies: ["EventLoop", "Posix", "COpenSSL"], swiftSettings: dataPath),
        .target(name: "CQLProtocol", swiftSettings: dataPath),
        .systemLibrary(name: "CNGHTTP2", path: "Sources/CNGHTTP2", pkgConfig: "libnghttp2",
                       providers: [.apt(["libnghttp2-dev"])]),
        .target(name: "HTTP", dependencies: ["Transport", "EventLoop", "Posix", "CNGHTTP2"], swiftSettings: dataPath),
        .systemLibrary(name: "CLZ4", path: "Sources/CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CSnappy", path: "Sources/CSnappy", pkgConfig: "snappy", providers: [.apt(["libsnappy-dev"])]),
        .target(name: "Compression", dependencies: ["CLZ4", "CSnappy"], swiftSettings: dataPath),
        .target(name: "Upstream", dependencies: [
            "Transport", "EventLoop", "Posix", "CQLProtocol", .product(name: "Metrics", package: "swift-metrics"), .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: dataPath),
        .target(name: "Proxy", dependencies: [
            "Upstream", "Transport", "EventLoop", "Posix", "CQLProtocol", "Compression",
            .product(name: "Metrics", package: "swift-metrics"), .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: dataPath),
        .target(name: "CQLMock", dependencies: [
            "CQLProtocol", "COpenSSL", "HTTP", "Transport", "EventLoop", "Posix",
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ], swiftSettings: dataPath),
        // Astra client side: secure-connect bundles, the metadata service, the DevOps API. Blocking calls,
        // made off the event loops.
        .target(name: "Astra", dependencies: [
            "HTTP", "Transport", "Posix", "Upstream", .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ]),
        .executableTarget(name: "cql-proxy", dependencies: [
            "Proxy", "Astra", "CQLMock", "HTTP", "Upstream", "EventLoop", "Posix", "CShims", "CQLProtocol", "Transport",
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "cql-mock", dependencies: [
            "CQLMock", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: dataPath),
        .executableTarget(name: "cql-bench", dependencies: [
            "CQLProtocol", "Posix", "EventLoop", "Transport", "Astra",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: dataPath),
        .testTarget(name: "CQLProtocolTests", dependencies: ["CQLProtocol", "TestSupport"]),
        .testTarget(name: "UpstreamTests", dependencies: ["Upstream", "CQLProtocol"]),
        .testTarget(name: "TransportTests", dependencies: ["Transport", "EventLoop", "Posix", "CQLMock"]),
        .testTarget(name: "CompressionTests", dependencies: ["Compression"]),
        .testTarget(name: "EventLoopTests", dependencies: ["EventLoop", "Transport", "Posix", "TestSupport"]),
        .target(name: "TestSupport", dependencies: ["Posix"], path: "Tests/TestSupport"),
        .testTarget(name: "AstraTests", dependencies: [
            "Astra", "Transport", "CQLMock", "HTTP", "EventLoop", "Posix", "CNGHTTP2",
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP", "EventLoop", "Posix", "CNGHTTP2"]),
        .testTarget(name: "CQLMockTests", dependencies: [
            "CQLMock", "CQLProtocol", "TestSupport", "Transport", "EventLoop", "Posix", "CNGHTTP2",
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ]),
        .testTarget(name: "ProxyTests", dependencies: ["Proxy", "Astra", "Upstream", "EventLoop", "Posix", "CQLMock", "CQLProtocol", "Transport", "TestSupport", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
    ]
)
