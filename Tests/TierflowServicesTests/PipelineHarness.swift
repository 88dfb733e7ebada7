import Foundation
import Logging
import ServiceLifecycle
import TierflowAMQP
import TierflowCore
import TierflowPipeline
import TierflowPostgres
import TierflowServices

/// Whether the live suites (real RabbitMQ and PostgreSQL) run: `scripts/test.sh` sets it.
let liveServices = ProcessInfo.processInfo.environment["TIERFLOW_LIVE_TESTS"] == "1"

/// A whole pipeline in this process, in a namespace of its own on the real broker and database.
///
/// Every stage runs as in production (a ``StageRunner`` per queue, under a `ServiceGroup`), with
/// the simulated backend configured per test. ``stop()`` drains it and deletes its queues.
final class PipelineHarness: Sendable {
    let config: PipelineConfig
    /// The configuration as YAML, for child processes (`tierflow batch run --config`).
    let yaml: String
    let topology: PipelineTopology
    let knowledge: KnowledgeBase
    let database: PostgresConnection
    let publisher: AMQPPublisher
    private let group: ServiceGroup
    private let running: Task<Void, any Error>
    private let admin: AMQPQueueInspector
    private let writer: HopLogWriter

    static let logger: Logger = {
        var logger = Logger(label: "tierflow.test")
        logger.logLevel = .warning
        return logger
    }()

    /// Starts a pipeline with `tiers` (YAML list items) and extra top-level YAML.
    static func start(
        tiers: String, extra: String = "", router: String = "router: {quality_target: 0.3}", stages: Set<String> = ["layer0", "router", "tier", "evaluator", "dead"]) async throws -> PipelineHarness {
        let environment = ProcessInfo.processInfo.environment
        let namespace = "tierflow.t\(UInt32.random(in: 0...UInt32.max))"
        let yaml = """
            namespace: \(namespace)
            broker: {url: "\(environment["TIERFLOW_AMQP_URL"] ?? "")", admin_url: "\(environment["TIERFLOW_AMQP_ADMIN_URL"] ?? "")"}
            database: {url: "\(environment["TIERFLOW_DATABASE_URL"] ?? "")", owner_url: "\(environment["TIERFLOW_DATABASE_OWNER_URL"] ?? "")"}
            queues: {prefetch: 32, delivery_limit: 3, max_message_bytes: 65536}
            \(router)
            \(extra)
            tiers:
            \(tiers)
            """
        let config = try PipelineConfig.parse(yaml: yaml, file: "test.yaml")
        return try await PipelineHarness(config: config, yaml: yaml, stages: stages)
    }

    private init(config: PipelineConfig, yaml: String, stages: Set<String>) async throws {
        self.config = config
        self.yaml = yaml
        topology = PipelineTopology(config: config)
        let logger = Self.logger
        let endpoint = try AMQPEndpoint(url: config.broker.url.value).named("tierflow-test")
        admin = try await AMQPQueueInspector(endpoint: try AMQPEndpoint(url: config.broker.adminURL.value), logger: logger)
        try await admin.declare(topology.all)
        let topology = self.topology
        let publisher = try await AMQPPublisher(endpoint: endpoint, topology: topology.all, logger: logger)
        let writer = HopLogWriter(configuration: PostgresConfiguration(url: config.database.url.value), logger: logger)
        let knowledge = KnowledgeBase()
        self.publisher = publisher
        self.writer = writer
        self.knowledge = knowledge
        database = try await PostgresConnection.connect(
            configuration: PostgresConfiguration(url: config.database.ownerURL.value), logger: logger)

        func runner(_ queue: String, _ handler: any StageHandler) -> StageRunner {
            StageRunner(
                input: .init(
                    endpoint: endpoint, queue: queue, prefetch: config.queues.prefetch, topology: topology.all,
                    deadLetterExchange: topology.deadLetterExchange, batchQueue: topology.batchLane(of: queue),
                    batchPrefetch: config.queues.batchPrefetch),
                handler: handler, publisher: publisher, writer: writer, logger: logger)
        }
        var services: [any Service] = []
        if stages.contains("layer0") { services.append(runner(topology.ingestQueue, Layer0Stage(config: config, knowledge: knowledge))) }
        if stages.contains("router") {
            let monitor = SystemStateMonitor(logger: logger) { SystemState() }
            services.append(runner(topology.routerQueue, RouterStage(config: config, scorer: TransparentScorer(), state: monitor)))
        }
        if stages.contains("tier") {
            for tier in config.tiers {
                let stage = TierWorkerStage(config: config, tier: tier, backend: SimulatedBackend(), writer: writer, logger: logger)
                services.append(runner(topology.tierQueue(tier.name), stage))
            }
        }
        if stages.contains("evaluator") { services.append(runner(topology.evaluatorQueue, EvaluatorStage(config: config))) }
        if stages.contains("dead") { services.append(runner(topology.deadLetterQueue, DeadLetterRecorder())) }
        let group = ServiceGroup(services: services, logger: logger)
        self.group = group
        running = Task { try await group.run() }
        try await Task.sleep(for: .milliseconds(300))  // let every consumer subscribe
    }

    /// Drains the pipeline, closes connections and deletes the namespace's queues and exchanges.
    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await running.value
        await publisher.close()
        await writer.close()
        let all = topology.all
        for queue in all.queues { try? await admin.deleteQueue(queue.name) }
        for exchange in all.exchanges { try? await admin.deleteExchange(exchange.name) }
        await admin.close()
        await database.close()
    }

    // MARK: Publishing

    /// Publishes a raw ingest message.
    func publish(_ body: [UInt8], type: String? = nil, messageId: String? = nil) async throws {
        let outcome = try await publisher.publish(
            exchange: topology.ingestExchange, routingKey: "test", body: body,
            properties: AMQPMessageProperties(contentType: "application/json", messageID: messageId, type: type))
        precondition(outcome == .confirmed, "publish not confirmed: \(outcome)")
    }

    /// Publishes a fault event and returns the query id the pipeline will give it.
    @discardableResult
    func publish(event: FaultEvent) async throws -> String {
        let body = EnvelopeCodec().encode(event)
        try await publish(body, type: "fault_event")
        return try IngestDecoder(config: config).decode(body, metadata: .init(type: "fault_event"), now: Date()).envelope.id
    }

    /// A fault event with a unique id.
    func event(
        code: String? = nil, severity: FaultEvent.Severity = .low, asset: String = "P-1", assetClass: String = "pump",
        message: String = "PUMP DISCH PRESS LOW ALM", timestamp: String? = nil
    ) -> FaultEvent {
        FaultEvent(
            eventId: "ev-\(UUID().uuidString)", site: "test-site", asset: asset, assetClass: assetClass, tag: "PIR101",
            alarmType: "L", faultCode: code, severity: severity, message: message, timestamp: timestamp)
    }

    // MARK: Reading the database

    struct ResultRow: Sendable {
        var layer: Int
        var tier: String?
        var endedBy: String
        var escalations: Int
        var lowConfidence: Bool
        var simulated: Bool
        var history: [TierAttempt]
    }

    /// Waits until every query in `ids` has its result row, or `timeout` passes; returns what arrived.
    func results(for ids: Set<String>, timeout: Duration = .seconds(20)) async throws -> [String: ResultRow] {
        let deadline = ContinuousClock.now + timeout
        var found: [String: ResultRow] = [:]
        while ContinuousClock.now < deadline {
            let rows = try await database.query(
                "SELECT query_id, layer, tier, ended_by, escalations, low_confidence, simulated, history::text AS history FROM results WHERE query_id = ANY($1)",
                [.array(ids.map { .string($0) })])
            for row in rows {
                let history = try row.string("history").flatMap { try? EnvelopeCodec().decode([TierAttempt].self, from: Array($0.utf8)) } ?? []
                found[try row.string("query_id")!] = ResultRow(
                    layer: try row.int("layer")!, tier: try row.string("tier"), endedBy: try row.string("ended_by")!,
                    escalations: try row.int("escalations")!, lowConfidence: try row.bool("low_confidence")!,
                    simulated: try row.bool("simulated")!, history: history)
            }
            if found.count == ids.count { return found }
            try await Task.sleep(for: .milliseconds(100))
        }
        return found
    }

    /// The hop rows of `queryId`: (stage, tier, attempt, decision), in key order.
    func hops(_ queryId: String) async throws -> [String] {
        let rows = try await database.query(
            "SELECT stage, tier, attempt, decision FROM hops WHERE query_id = $1 ORDER BY finished_at, stage", [.string(queryId)])
        return try rows.map { row in
            let tier = try row.string("tier") ?? ""
            return "\(try row.string("stage")!)\(tier.isEmpty ? "" : "/\(tier)")#\(try row.int("attempt")!):\(try row.string("decision")!)"
        }
    }

    /// Runs a literal `SELECT count(*)::int AS n …` with one parameter.
    func count(_ sql: StaticString, _ value: String) async throws -> Int {
        let rows = try await database.query("\(sql)", [.string(value)])
        return try rows.first?.int("n") ?? 0
    }
}
