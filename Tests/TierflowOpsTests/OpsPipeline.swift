import Foundation
import Testing
import Logging
import TierflowAMQP
import TierflowCore
import TierflowPipeline
import TierflowPostgres
import TierflowServices

/// Whether the live suites (real RabbitMQ and PostgreSQL) run: `scripts/test.sh` sets it.
let liveServices = ProcessInfo.processInfo.environment["TIERFLOW_LIVE_TESTS"] == "1"

/// The worker executables of this build.
enum WorkerBinaries {
    static var directory: URL {
        if let dir = ProcessInfo.processInfo.environment["TIERFLOW_BIN_DIR"] { return URL(fileURLWithPath: dir) }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/debug").standardized
    }

    static var exist: Bool {
        FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("tierflow-worker").path)
    }
}

/// A pipeline of real worker processes in a namespace of its own, each serving `/metrics` on a port of its own.
final class OpsPipeline: Sendable {
    let config: PipelineConfig
    let yaml: String
    let topology: PipelineTopology
    let processes: WorkerProcessGroup
    let database: PostgresConnection
    let publisher: AMQPPublisher
    private let admin: AMQPQueueInspector

    static let logger: Logger = {
        var logger = Logger(label: "tierflow.ops-test")
        logger.logLevel = .warning
        return logger
    }()

    /// The default tiers: a cheap edge tier that sometimes escalates to gpu, and cloud on top.
    static let tiers = """
          - {name: edge, backend: simulated, model: small, price: {input: 0.1, output: 0.2}, max_concurrency: 16, confidence_threshold: 0.6, simulated: {skill: 0.7, latency_ms: 20}}
          - {name: gpu, backend: simulated, model: big, price: {input: 0.6, output: 0.8}, confidence_threshold: 0.6, simulated: {skill: 1, latency_ms: 10}}
          - {name: cloud, backend: simulated, model: frontier, price: {input: 15, output: 75}, confidence_threshold: 0, simulated: {skill: 1}}
        """

    /// Declares a fresh namespace's topology and writes its configuration (`extra` is more top-level YAML).
    init(tiers: String = OpsPipeline.tiers, extra: String = "", prefetch: Int = 32) async throws {
        let environment = ProcessInfo.processInfo.environment
        let namespace = "tierflow.ops\(UInt32.random(in: 0...UInt32.max))"
        yaml = """
            namespace: \(namespace)
            broker: {url: "\(environment["TIERFLOW_AMQP_URL"] ?? "")", admin_url: "\(environment["TIERFLOW_AMQP_ADMIN_URL"] ?? "")"}
            database: {url: "\(environment["TIERFLOW_DATABASE_URL"] ?? "")", owner_url: "\(environment["TIERFLOW_DATABASE_OWNER_URL"] ?? "")"}
            queues: {prefetch: \(prefetch), delivery_limit: 5}
            ingest: {flood_window_seconds: 0}
            layer0: {enabled: false}
            router: {kind: transparent, quality_target: 0.3, daily_budget_usd: 40}
            \(extra)
            tiers:
            \(tiers)
            """
        config = try PipelineConfig.parse(yaml: yaml, file: "ops-test.yaml")
        topology = PipelineTopology(config: config)
        admin = try await AMQPQueueInspector(
            endpoint: try AMQPEndpoint(url: config.broker.adminURL.value).named("ops-test-admin"), logger: Self.logger)
        try await admin.declare(topology.all)
        processes = try WorkerProcessGroup(binDirectory: WorkerBinaries.directory, configYAML: yaml)
        database = try await PostgresConnection.connect(
            configuration: PostgresConfiguration(url: config.database.ownerURL.value), logger: Self.logger)
        publisher = try await AMQPPublisher(
            endpoint: try AMQPEndpoint(url: config.broker.url.value).named("ops-test-publisher"), topology: topology.all,
            logger: Self.logger)
    }

    /// Starts one process per stage (and `replicas` of the edge tier); returns each process's metrics port by name.
    @discardableResult
    func startAll(edgeReplicas: Int = 1, metrics: Bool = true) throws -> [String: Int] {
        var ports: [String: Int] = [:]
        for name in ["layer0", "router", "evaluator"] {
            let port = metrics ? FreePort.next() : nil
            let started = try processes.start(name, metricsPort: port)
            ports[started] = port
        }
        for tier in config.tiers.map(\.name) {
            for replica in 0..<(tier == "edge" ? edgeReplicas : 1) {
                let port = metrics ? FreePort.next() : nil
                let started = try processes.start("worker", tier: tier, replica: tier == "edge" ? replica : nil, metricsPort: port)
                ports[started] = port
            }
        }
        return ports
    }

    /// Publishes `count` fault events; returns their query ids.
    func publish(_ count: Int) async throws -> Set<String> {
        var ids: Set<String> = []
        let decoder = IngestDecoder(config: config)
        for index in 0..<count {
            let event = FaultEvent(
                eventId: "ops-\(UUID().uuidString)", site: "ops-site", asset: "P-\(index % 13)", assetClass: "pump", tag: "PIR101",
                alarmType: "L", faultCode: nil, severity: .low, message: "PUMP DISCH PRESS LOW ALM \(index)")
            let body = EnvelopeCodec().encode(event)
            let outcome = try await publisher.publish(
                exchange: topology.ingestExchange, routingKey: "scada", body: body,
                properties: AMQPMessageProperties(contentType: "application/json", type: "fault_event"))
            precondition(outcome == .confirmed, "publish not confirmed: \(outcome)")
            ids.insert(try decoder.decode(body, metadata: .init(type: "fault_event"), now: Date()).envelope.id)
        }
        return ids
    }

    /// Publishes `count` queries straight to `tier`'s queue, as the router would; returns their query ids.
    func publishToTier(_ tier: String, count: Int) async throws -> Set<String> {
        var ids: Set<String> = []
        let decoder = IngestDecoder(config: config)
        let codec = EnvelopeCodec()
        for index in 0..<count {
            let event = FaultEvent(
                eventId: "ops-\(UUID().uuidString)", site: "ops-site", asset: "P-\(index % 13)", assetClass: "pump", tag: "PIR101",
                alarmType: "L", faultCode: nil, severity: .low, message: "PUMP DISCH PRESS LOW ALM \(index)")
            var envelope = try decoder.decode(codec.encode(event), metadata: .init(type: "fault_event"), now: Date()).envelope
            envelope.tier = tier
            envelope.attempt = 0
            let outcome = try await publisher.publish(
                exchange: topology.workExchange, routingKey: PipelineTopology.tierKey(tier), body: codec.encode(envelope),
                properties: AMQPMessageProperties(
                    contentType: "application/json", messageID: "\(envelope.id)/tier/\(tier)/0", type: "envelope"))
            precondition(outcome == .confirmed, "publish not confirmed: \(outcome)")
            ids.insert(envelope.id)
        }
        return ids
    }

    /// Waits until `queue` has `count` consumers (processes subscribe a moment after they start).
    func waitForConsumers(_ queue: String, count: Int, timeout: Duration = .seconds(30)) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        var consumers = 0
        while ContinuousClock.now < deadline {
            consumers = try await admin.status(ofQueue: queue).consumerCount
            if consumers >= count { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        return consumers
    }

    /// Tier hops of `ids` committed so far, and the seconds from the first one's start to the last one's end.
    func tierHops(_ ids: Set<String>) async throws -> (count: Int, seconds: Double) {
        let rows = try await database.query(
            """
            SELECT count(*)::int AS n, coalesce(extract(epoch FROM max(finished_at) - min(started_at)), 0)::float8 AS s
            FROM hops WHERE stage = 'tier' AND query_id = ANY($1)
            """, [.array(ids.map { .string($0) })])
        return (try rows.first?.int("n") ?? 0, try rows.first?.double("s") ?? 0)
    }

    /// Result rows of `ids` (total and distinct queries).
    func resultCount(_ ids: Set<String>) async throws -> (rows: Int, queries: Int) {
        let rows = try await database.query(
            "SELECT count(*)::int AS n, count(DISTINCT query_id)::int AS q FROM results WHERE query_id = ANY($1)",
            [.array(ids.map { .string($0) })])
        return (try rows.first?.int("n") ?? 0, try rows.first?.int("q") ?? 0)
    }

    /// Waits until every query in `ids` has a result or `timeout` passes; returns how many have one.
    func waitForResults(_ ids: Set<String>, atLeast wanted: Int? = nil, timeout: Duration) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        var found = 0
        while ContinuousClock.now < deadline {
            found = try await resultCount(ids).queries
            if found >= (wanted ?? ids.count) { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        return found
    }

    /// Stops every process and deletes the namespace's queues and exchanges.
    func stop() async -> [String: Int32] {
        let exits = (try? await processes.terminateAll(within: .seconds(20))) ?? [:]
        processes.killAll()
        await publisher.close()
        for queue in topology.all.queues { try? await admin.deleteQueue(queue.name) }
        for exchange in topology.all.exchanges { try? await admin.deleteExchange(exchange.name) }
        await admin.close()
        await database.close()
        processes.removeTemporaryDirectory()
        return exits
    }
}

/// Picks loopback ports nobody listens on (the kernel's choice, then released).
enum FreePort {
    static func next() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Plain HTTP GETs and POSTs for the tests (curl, as a person would).
enum HTTPGet {
    /// Status code and body of `url`; status 0 when nothing answered.
    static func fetch(_ url: String) -> (status: Int, body: String) {
        curl(["-m", "5", url])
    }

    /// Status code and body of a POST of `json` to `url`; status 0 when nothing answered.
    static func post(_ url: String, json: String) -> (status: Int, body: String) {
        curl(["-m", "30", "-H", "Content-Type: application/json", "--data-binary", json, url])
    }

    private static func curl(_ arguments: [String]) -> (status: Int, body: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "-w", "\n%{http_code}"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return (0, "") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard let newline = text.lastIndex(of: "\n") else { return (0, text) }
        return (Int(text[text.index(after: newline)...]) ?? 0, String(text[..<newline]))
    }
}

/// Reads samples out of Prometheus text format.
enum PrometheusText {
    /// The sum of every sample of `name` whose labels include all of `labels`.
    static func sum(_ text: String, _ name: String, _ labels: [String: String] = [:]) -> Double? {
        var total: Double?
        for line in text.split(separator: "\n") where line.hasPrefix(name) && !line.hasPrefix("#") {
            let rest = line.dropFirst(name.count)
            guard rest.first == "{" || rest.first == " " else { continue }
            let labelText = rest.first == "{" ? String(rest[rest.index(after: rest.startIndex)..<(rest.firstIndex(of: "}") ?? rest.endIndex)]) : ""
            guard labels.allSatisfy({ labelText.contains("\($0.key)=\"\($0.value)\"") }) else { continue }
            guard let value = line.split(separator: " ").last.flatMap({ Double($0) }) else { continue }
            total = (total ?? 0) + value
        }
        return total
    }
}

/// Every live ops suite, one at a time: each starts a pipeline of worker processes, and on 2 cores several at
/// once would slow each other (and the other live suites) more than the tests can bear.
@Suite("Ops (live)", .serialized, .enabled(if: liveServices && WorkerBinaries.exist))
struct OpsLiveTests {}
