import Foundation

/// The whole pipeline configuration, read from `pipeline.yaml`.
///
/// Loading validates everything at once and throws a ``ConfigError`` naming the file, the line and
/// the key of the first problem, so a worker with a bad configuration fails at start-up.
public struct PipelineConfig: Sendable, Hashable {
    /// The configuration file it was read from.
    public var file: String
    /// Prefix of every exchange and queue name (`tierflow`), so pipelines can share a virtual host.
    public var namespace: String
    public var broker: BrokerConfig
    public var database: DatabaseConfig
    public var queues: QueueConfig
    public var ingest: IngestConfig
    public var results: ResultsConfig
    /// Prompt templates by query source (`scada`, `chat`, `batch`).
    public var templates: [String: String]
    public var layer0: Layer0Config
    public var router: RouterConfig
    public var evaluator: EvaluatorConfig
    /// The OpenAI-compatible HTTP gateway.
    public var gateway: GatewayConfig
    /// Metrics, health and readiness endpoints; the management API for `tierflow status`.
    public var ops: OpsConfig
    /// Tiers, cheapest first.
    public var tiers: [TierConfig]

    static let keys: Set<String> = [
        "version", "namespace", "broker", "database", "queues", "ingest", "results", "templates", "layer0", "router",
        "evaluator", "tiers", "gateway", "ops",
    ]

    /// Reads and validates the file at `path`.
    public static func load(
        path: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigError) -> PipelineConfig {
        let name = path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(code: .unreadableFile, file: path, line: nil, key: "", message: FileManager.default.fileExists(atPath: path) ? "cannot read the file" : "no such file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(code: .unreadableFile, file: name, line: nil, key: "", message: "the file is not UTF-8 text")
        }
        return try parse(yaml: text, file: name, environment: environment)
    }

    /// Parses and validates configuration text; `file` names it in errors.
    public static func parse(
        yaml text: String,
        file: String = "pipeline.yaml",
        environment: [String: String] = [:]
    ) throws(ConfigError) -> PipelineConfig {
        let root = try ConfigNode.parse(yaml: text, file: file, environment: environment)
        if root.isNull {
            throw root.error(.missingKey, "the configuration is empty")
        }
        return try PipelineConfig(root: root, file: file)
    }

    init(root: ConfigNode, file: String) throws(ConfigError) {
        self.file = file
        try root.keys(allowed: Self.keys)
        if let version = root.optional("version"), try version.int() != 1 {
            throw version.error(.invalidValue, "this Tierflow reads configuration version 1")
        }
        namespace = try root.optional("namespace")?.string() ?? "tierflow"
        guard namespace.range(of: "^[a-z][a-z0-9_-]*(\\.[a-z0-9_-]+)*$", options: .regularExpression) != nil else {
            throw root["namespace"].error(.invalidValue, "expected dot-separated lower-case words such as \"tierflow\" or \"tierflow.plant_a\", got \"\(namespace)\"")
        }
        broker = try BrokerConfig(root.required("broker"))
        database = try DatabaseConfig(root.required("database"))
        queues = try QueueConfig(root.optional("queues"))
        ingest = try IngestConfig(root.optional("ingest"), namespace: namespace)
        results = try ResultsConfig(root.optional("results"), namespace: namespace)
        layer0 = try Layer0Config(root.optional("layer0"))
        router = try RouterConfig(root.optional("router"))
        evaluator = try EvaluatorConfig(root.optional("evaluator"))
        gateway = try GatewayConfig(root.optional("gateway"))
        ops = try OpsConfig(root.optional("ops"))

        templates = [:]
        if let templatesNode = root.optional("templates") {
            for key in try templatesNode.keys(allowed: ["scada", "chat", "batch"]) {
                templates[key] = try templatesNode[key].string()
            }
        }

        let tiersNode = try root.required("tiers")
        tiers = try tiersNode.elements().map { node throws(ConfigError) in try TierConfig(node) }
        guard !tiers.isEmpty else {
            throw tiersNode.error(.invalidValue, "at least one tier is needed")
        }
        var seen: Set<String> = []
        for (index, tier) in tiers.enumerated() where !seen.insert(tier.name).inserted {
            throw tiersNode[index].error(.invalidValue, "duplicate tier name \"\(tier.name)\"")
        }
        if let floor = router.criticalStartTier, !seen.contains(floor) {
            throw root["router"]["critical_start_tier"].error(
                .invalidValue,
                "no tier named \"\(floor)\"; tiers are \(tiers.map(\.name).joined(separator: ", "))"
            )
        }
    }

    /// The tier named `name`.
    public func tier(named name: String) -> TierConfig? {
        tiers.first { $0.name == name }
    }

    /// Position of the tier named `name`, cheapest = 0.
    public func tierIndex(named name: String) -> Int? {
        tiers.firstIndex { $0.name == name }
    }
}

extension ConfigNode {
    /// The element at `index` of a sequence (for error positions).
    subscript(index: Int) -> ConfigNode {
        (try? elements())?.dropFirst(index).first ?? self
    }
}
