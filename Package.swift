// swift-tools-version:6.2
import PackageDescription

/// Every target of ours treats warnings as errors; dependencies are built with their own settings.
let strict: [SwiftSetting] = [
    .treatAllWarnings(as: .error),
    .enableUpcomingFeature("ExistentialAny"),
]

/// The thin worker executables: a `@main` command each.
let workerDependencies: [Target.Dependency] = [
    "TierflowCore", "TierflowPipeline", "TierflowServices", "TierflowCommandSupport",
    .product(name: "ArgumentParser", package: "swift-argument-parser"),
    .product(name: "Logging", package: "swift-log"),
]

let package = Package(
    name: "tierflow",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tierflow", targets: ["tierflow"]),
        .executable(name: "tierflow-layer0", targets: ["tierflow-layer0"]),
        .executable(name: "tierflow-router", targets: ["tierflow-router"]),
        .executable(name: "tierflow-worker", targets: ["tierflow-worker"]),
        .executable(name: "tierflow-evaluator", targets: ["tierflow-evaluator"]),
        .executable(name: "tierflow-gateway", targets: ["tierflow-gateway"]),
        .library(name: "TierflowCore", targets: ["TierflowCore"]),
        .library(name: "TierflowAMQP", targets: ["TierflowAMQP"]),
        .library(name: "TierflowPostgres", targets: ["TierflowPostgres"]),
        .library(name: "TierflowHTTP", targets: ["TierflowHTTP"]),
        .library(name: "TierflowPipeline", targets: ["TierflowPipeline"]),
        .library(name: "TierflowServices", targets: ["TierflowServices"]),
        .library(name: "TierflowGateway", targets: ["TierflowGateway"]),
        .library(name: "TierflowMetrics", targets: ["TierflowMetrics"]),
        .library(name: "TierflowOps", targets: ["TierflowOps"]),
        .library(name: "TierflowFaults", targets: ["TierflowFaults"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // C libraries, through pkg-config and Debian's -dev packages.
        .systemLibrary(name: "CRabbitMQ", pkgConfig: "librabbitmq", providers: [.apt(["librabbitmq-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // Typed wrappers for variadic C functions, thread naming, OpenSSL set-up before main.
        .target(
            name: "CTierflowShim", dependencies: ["CRabbitMQ", "CCurl"],
            // OpenSSL's libcrypto, already loaded by libpq, librabbitmq and libcurl: see shim.c.
            linkerSettings: [.linkedLibrary("crypto")]),

        // Libraries.
        .target(
            name: "TierflowCore",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "TierflowAMQP",
            dependencies: [
                "TierflowCore", "CRabbitMQ", "CTierflowShim",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "TierflowPostgres",
            dependencies: [
                "TierflowCore", "CLibPQ", "CTierflowShim",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "TierflowHTTP",
            dependencies: [
                "TierflowCore", "CCurl", "CTierflowShim",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        // The pipeline's metrics (swift-metrics API, low-cardinality dimensions), created once per process.
        .target(
            name: "TierflowMetrics",
            dependencies: [.product(name: "Metrics", package: "swift-metrics")],
            swiftSettings: strict
        ),
        // Operations: the Prometheus bootstrap, the /metrics /health /ready server, `tierflow status`.
        .target(
            name: "TierflowOps",
            dependencies: [
                "TierflowCore", "TierflowMetrics", "TierflowPostgres", "TierflowHTTP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),

        // Decisions of each stage, free of queues and databases: ingest, Layer 0, router, backends, evaluator.
        .target(
            name: "TierflowPipeline",
            dependencies: [
                "TierflowCore", "TierflowHTTP", "TierflowMetrics",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The stages as services: consume, decide, log the hop, publish, acknowledge.
        .target(
            name: "TierflowServices",
            dependencies: [
                "TierflowCore", "TierflowPipeline", "TierflowAMQP", "TierflowPostgres", "TierflowMetrics", "TierflowOps",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),

        // The OpenAI-compatible HTTP front door: routes, auth, rate limits, OpenAI codecs.
        .target(
            name: "TierflowGateway",
            dependencies: [
                "TierflowCore", "TierflowPipeline", "TierflowAMQP", "TierflowPostgres", "TierflowServices", "TierflowMetrics",
                "TierflowOps",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),

        // The fault-injection suite: scenarios, load, the ledger checker, security checks (docs/faults.md).
        .target(
            name: "TierflowFaults",
            dependencies: [
                "TierflowCore", "TierflowPipeline", "TierflowAMQP", "TierflowPostgres", "TierflowHTTP", "TierflowServices",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        // What every executable shares: options, logging, configuration loading.
        .target(
            name: "TierflowCommandSupport",
            dependencies: [
                "TierflowCore", "TierflowServices",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        // Executables: argument parsing only.
        .executableTarget(
            name: "tierflow",
            dependencies: [
                "TierflowCore", "TierflowAMQP", "TierflowPostgres", "TierflowHTTP", "TierflowPipeline",
                "TierflowServices", "TierflowCommandSupport", "TierflowGateway", "TierflowOps", "TierflowFaults",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(name: "tierflow-layer0", dependencies: workerDependencies, swiftSettings: strict),
        .executableTarget(name: "tierflow-router", dependencies: workerDependencies, swiftSettings: strict),
        .executableTarget(name: "tierflow-worker", dependencies: workerDependencies, swiftSettings: strict),
        .executableTarget(name: "tierflow-evaluator", dependencies: workerDependencies, swiftSettings: strict),
        .executableTarget(
            name: "tierflow-gateway",
            dependencies: workerDependencies + [
                "TierflowGateway", .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "tierflow-bench",
            dependencies: workerDependencies + ["TierflowAMQP", "TierflowPostgres"],
            swiftSettings: strict
        ),

        // Tests.
        .testTarget(name: "TierflowCoreTests", dependencies: ["TierflowCore"], swiftSettings: strict),
        .testTarget(name: "TierflowAMQPTests", dependencies: ["TierflowAMQP"], swiftSettings: strict),
        .testTarget(name: "TierflowPostgresTests", dependencies: ["TierflowPostgres", "CTierflowShim"], swiftSettings: strict),
        .testTarget(name: "TierflowHTTPTests", dependencies: ["TierflowHTTP"], swiftSettings: strict),
        .testTarget(name: "TierflowPipelineTests", dependencies: ["TierflowPipeline"], swiftSettings: strict),
        .testTarget(
            name: "TierflowServicesTests", dependencies: ["TierflowServices", "TierflowGateway", "TierflowHTTP", "TierflowFaults"],
            swiftSettings: strict),
        .testTarget(
            name: "TierflowOpsTests",
            dependencies: [
                "TierflowOps", "TierflowServices", "TierflowMetrics", "TierflowAMQP", "TierflowPostgres", "TierflowPipeline",
                "TierflowCore",
            ],
            swiftSettings: strict),
        .testTarget(
            name: "TierflowGatewayTests",
            dependencies: [
                "TierflowGateway", "TierflowServices", "TierflowHTTP",
            ],
            swiftSettings: strict
        ),
    ]
)
