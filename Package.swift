// swift-tools-version:6.0
// Dependencies point one way: Proxy → Upstream → Transport → EventLoop → Posix → CShims.
// CQLProtocol depends on nothing; CQLMock (the in-memory cluster) is never linked into Proxy.
import PackageDescription

let package = Package(
    name: "cql-proxy",
    products: [
        .executable(name: "cql-proxy", targets: ["cql-proxy"]),
        .executable(name: "cql-mock", targets: ["cql-mock"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        .target(name: "CShims"),
        .target(name: "Posix", dependencies: ["CShims"]),
        .target(name: "EventLoop", dependencies: ["Posix", "CShims"]),
        .target(name: "Transport", dependencies: ["EventLoop", "Posix"]),
        .target(name: "CQLProtocol"),
        .target(name: "Upstream", dependencies: [
            "Transport", "EventLoop", "Posix", "CQLProtocol", .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "Proxy", dependencies: [
            "Upstream", "Transport", "EventLoop", "Posix", "CQLProtocol", .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "CQLMock", dependencies: ["CQLProtocol"]),
        .executableTarget(name: "cql-proxy", dependencies: [
            "Proxy", "CQLMock",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "cql-mock", dependencies: [
            "CQLMock", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "cql-bench", dependencies: [
            "CQLProtocol", "Posix", "EventLoop", "Transport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "CQLProtocolTests", dependencies: ["CQLProtocol"]),
        .testTarget(name: "EventLoopTests", dependencies: ["EventLoop", "Transport", "Posix"]),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "CQLMockTests", dependencies: ["CQLMock", "CQLProtocol", "TestSupport"]),
        .testTarget(name: "ProxyTests", dependencies: ["Proxy", "CQLMock", "CQLProtocol", "Transport", "TestSupport"]),
    ]
)
