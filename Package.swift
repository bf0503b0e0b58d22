// swift-tools-version: 6.1
import Foundation
import PackageDescription

/// Defines libwebrtc's own build (`tg_owt::libwebrtcbuild`) needs in every translation unit that
/// includes its headers. `NDEBUG` must never be defined: the library is built with DCHECKs on and
/// `rtc::Thread` changes layout with it.
let webRTCDefines: [CXXSetting] = [
    "WEBRTC_ENABLE_PROTOBUF=0", "WEBRTC_APM_DEBUG_DUMP=0", "WEBRTC_USE_BUILTIN_ISAC_FLOAT",
    "WEBRTC_OPUS_VARIABLE_COMPLEXITY=0", "WEBRTC_OPUS_SUPPORT_120MS_PTIME=1",
    "WEBRTC_INCLUDE_INTERNAL_AUDIO_DEVICE", "WEBRTC_USE_H264", "WEBRTC_LIBRARY_IMPL",
    "WEBRTC_NON_STATIC_TRACE_EVENT_HANDLERS=1", "WEBRTC_HAVE_DCSCTP", "WEBRTC_HAVE_SCTP",
    "NO_MAIN_THREAD_WRAPPING", "HAVE_WEBRTC_VIDEO", "RTC_ENABLE_VP9", "RTC_DISABLE_TRACE_EVENTS",
    "BWE_TEST_LOGGING_COMPILE_TIME_ENABLE=0", "WEBRTC_USE_X11", "WEBRTC_USE_PIPEWIRE",
    "WEBRTC_DUMMY_AUDIO_BUILD", "WEBRTC_POSIX", "WEBRTC_LINUX", "WEBRTC_USE_RNNOISE=0",
].map { entry in
    let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
    return .define(parts[0], to: parts.count > 1 ? parts[1] : nil)
}

let strictSwift: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
]

/// The protocol core and the simulator compiled with `-O` in debug builds too, when the environment
/// asks (the Makefile does, for every target): the simulations and the nodes' tests spend their time in
/// the core's geometry and state machines, which run many times faster optimized. Off by default,
/// because a package with unsafe flags cannot be used as another package's dependency.
let optimizedInDebug: [SwiftSetting] = ProcessInfo.processInfo.environment["COLONIO_OPTIMIZED_CORE"] == "1"
    ? [.unsafeFlags(["-O"], .when(configuration: .debug))] : []

let package = Package(
    name: "colonio-swift",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "ColonioCore", targets: ["ColonioCore"]),
        .library(name: "ColonioWebRTC", targets: ["ColonioWebRTC"]),
        .library(name: "Colonio", targets: ["Colonio"]),
        .library(name: "ColonioSeed", targets: ["ColonioSeed"]),
        .library(name: "ColonioTesting", targets: ["ColonioTesting"]),
        .executable(name: "colonio", targets: ["colonio"]),
        // The C ABI (include: Sources/CColonio/include/colonio.h). SwiftPM names it libColonioC.so; `make lib`
        // links it as libcolonio.so (the executable above owns the product name `colonio`).
        .library(name: "ColonioC", type: .dynamic, targets: ["ColonioC"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket", from: "1.6.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        // The shared registry of several seeds (ColonioSeedPostgres only).
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // TLS on the seed (`https://`, `wss://`) and the node's trust options; already in the graph
        // through postgres-nio and swift-websocket.
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        // Protocol logic for every platform; Embedded-Swift-clean (see docs/architecture.md).
        .target(
            name: "ColonioCore",
            swiftSettings: strictSwift + optimizedInDebug + [.enableExperimentalFeature("Extern")],
            linkerSettings: [.linkedLibrary("m")]
        ),
        // The clock a node or seed reads (a manual one in tests).
        .target(name: "ColonioTime", swiftSettings: strictSwift),
        // The browser node's shell over the core (`Web/Exports`). Built natively too, so that `swift build`
        // and `swift test` check it; `scripts/build-wasm.sh` compiles the same files into colonio.wasm.
        .target(name: "ColonioBrowser", dependencies: ["ColonioCore"], path: "Web/Exports", swiftSettings: strictSwift),
        // C API over libwebrtc (Debian's libtgowt); `tg_owt` is a committed symlink to its headers.
        .target(
            name: "CWebRTC",
            exclude: ["tg_owt"],
            cxxSettings: webRTCDefines + [.headerSearchPath("tg_owt")],
            linkerSettings: [
                "tg_owt", "ssl", "crypto", "srtp2",
                "absl_strings", "absl_bad_optional_access", "absl_bad_variant_access", "absl_throw_delegate",
                "dl", "pthread",
            ].map { .linkedLibrary($0) }
        ),
        // Swift async API over CWebRTC: engine, peer links with one data channel each.
        .target(
            name: "ColonioWebRTC",
            dependencies: ["CWebRTC", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSwift
        ),
        // The native node library; for now the seed client.
        .target(
            name: "Colonio",
            dependencies: [
                "ColonioCore",
                "ColonioTime",
                "ColonioWebRTC",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                // NIO's connection errors, told apart for the seed client's messages.
                .product(name: "NIOPosix", package: "swift-nio"),
                // Trust roots for `wss://` seeds and certificate errors told apart.
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strictSwift
        ),
        // The seed server: sign-in, certificates, signaling relay, metrics.
        .target(
            name: "ColonioSeed",
            dependencies: [
                "ColonioCore",
                "ColonioTime",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strictSwift
        ),
        // A NetworkRegistry over PostgreSQL, so several seeds serve one network; kept out of ColonioSeed
        // so that the library and the embedded seed do not pull in a database driver.
        .target(
            name: "ColonioSeedPostgres",
            dependencies: [
                "ColonioCore",
                "ColonioSeed",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift
        ),
        // The command line: seed, node, demo, simulate, bench.
        .executableTarget(
            name: "colonio",
            dependencies: [
                "ColonioCore",
                "ColonioWebRTC",
                "Colonio",
                "ColonioSeed",
                "ColonioSeedPostgres",
                "ColonioSimulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // `colonio seed` reloads its TLS certificate on SIGHUP.
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                // The seed benchmark's load generator (Bench/SeedLoad) is a plain NIO WebSocket client.
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),
        // The public header of the C ABI (colonio.h); its types are shared with the Swift implementation.
        .target(name: "CColonio"),
        // The C ABI over the public node API: `@_cdecl` exports for libcolonio.so (Python, Go, C).
        .target(
            name: "ColonioC",
            dependencies: ["CColonio", "Colonio", .product(name: "Logging", package: "swift-log")],
            exclude: ["colonio.map"],
            swiftSettings: strictSwift,
            // libtg_owt.a is not position-independent: binding every symbol inside the library and exporting
            // colonio_* only lets its relative relocations resolve at link time (Sources/CColonio/link_shims.c
            // covers the rest). Only libcolonio.so links this target.
            linkerSettings: [
                .unsafeFlags([
                    "-Xlinker", "-Bsymbolic",
                    "-Xlinker", "--version-script=\(Context.packageDirectory)/Sources/ColonioC/colonio.map",
                ]),
                .linkedLibrary("dl"),
            ]
        ),
        // The README's complete example app: a location chat (`swift run location-chat --name ada`).
        .executableTarget(
            name: "location-chat",
            dependencies: ["Colonio", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/LocationChat",
            swiftSettings: strictSwift
        ),
        // For applications' tests and ours: links in memory, a manual clock, one polling helper.
        .target(
            name: "ColonioTesting",
            dependencies: [
                "Colonio", "ColonioCore", "ColonioTime", "ColonioWebRTC",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "ColonioTests",
            dependencies: [
                "Colonio", "ColonioCore", "ColonioSeed", "ColonioTesting", .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: strictSwift
        ),
        // `colonio bench seed`'s load generator (in the executable) against an embedded seed.
        .testTarget(
            name: "ColonioCommandTests",
            dependencies: [
                "colonio",
                "ColonioCore",
                "ColonioSeed",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),
        // The PostgreSQL registry against a throwaway server, and several seed processes behind nginx
        // (`make postgres-test`; each suite says SKIPPED without the packages).
        .testTarget(
            name: "ColonioSeedPostgresTests",
            dependencies: [
                "ColonioSeedPostgres",
                "ColonioSeed",
                "Colonio",
                "ColonioCore",
                "ColonioTesting",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(name: "ColonioCoreTests", dependencies: ["ColonioCore", "ColonioSimulator"], swiftSettings: strictSwift),
        .testTarget(name: "ColonioBrowserTests", dependencies: ["ColonioBrowser", "ColonioCore"], swiftSettings: strictSwift),
        .testTarget(name: "ColonioWebRTCTests", dependencies: ["ColonioWebRTC", "ColonioTesting"], swiftSettings: strictSwift),
        // Many node machines on an in-memory transport with a virtual clock (tests, `colonio simulate`).
        .target(name: "ColonioSimulator", dependencies: ["ColonioCore"], swiftSettings: strictSwift + optimizedInDebug),
        .testTarget(name: "ColonioSimulatorTests", dependencies: ["ColonioSimulator"], swiftSettings: strictSwift),
        .testTarget(
            name: "ColonioSeedTests",
            dependencies: [
                "ColonioSeed",
                "Colonio",
                "ColonioCore",
                "ColonioTesting",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift
        ),
    ],
    cxxLanguageStandard: .cxx20
)
