import Foundation
import Logging
import TierflowAMQP
import TierflowCore
import TierflowPostgres
import TierflowServices

/// Runs fault-injection scenarios against a pipeline of real worker processes and checks the ledger.
///
/// Each scenario gets a namespace of its own on the suite's broker and database, starts the six stage
/// processes, offers steady load, injects its fault, waits for the pipeline to settle and checks the
/// ledger (lost, duplicated, unexpected — all must be 0). The broker and database must be the suite's
/// own instance (`scripts/faults.sh` starts it): scenarios stop, block and restart them.
public final class FaultSuite: Sendable {
    public struct Options: Sendable {
        /// The pipeline configuration that says where the broker and database are (URLs only are used).
        public var base: PipelineConfig
        /// Where the worker executables are.
        public var binDirectory: URL
        /// `scripts/services.sh`.
        public var servicesScript: String
        /// `Tests/Fixtures/llm_test_server.py`.
        public var llmServerScript: String
        /// Sources scanned for interpolated SQL.
        public var sourceRoot: URL
        /// Where logs go (a directory per scenario).
        public var logDirectory: URL
        public var quick: Bool
        /// Load per second and for how long.
        public var rate: Double
        public var duration: Duration
        /// How long a scenario may take to settle after its load.
        public var settleTimeout: Duration

        public init(
            base: PipelineConfig, binDirectory: URL, servicesScript: String, llmServerScript: String, sourceRoot: URL,
            logDirectory: URL, quick: Bool
        ) {
            self.base = base
            self.binDirectory = binDirectory
            self.servicesScript = servicesScript
            self.llmServerScript = llmServerScript
            self.sourceRoot = sourceRoot
            self.logDirectory = logDirectory
            self.quick = quick
            rate = quick ? 15 : 20
            duration = quick ? .seconds(8) : .seconds(15)
            settleTimeout = quick ? .seconds(90) : .seconds(150)
        }
    }

    let options: Options
    let logger: Logger
    let runId: String
    /// Recognisable secrets placed in the workers' configuration and environment for this run.
    let canaries: [String: String]
    /// Added to every worker's environment.
    let workerEnvironment: [String: String]

    public init(options: Options, logger: Logger) {
        self.options = options
        self.logger = logger
        runId = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let environmentKey = "sk-faults-env-canary-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(20)
        let literalKey = "sk-faults-yaml-canary-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(20)
        var canaries = ["tier api_key from the environment (TIERFLOW_FAULTS_API_KEY)": String(environmentKey),
                        "tier api_key written in the YAML": String(literalKey)]
        let urls = [
            ("broker.url", options.base.broker.url.value), ("broker.admin_url", options.base.broker.adminURL.value),
            ("database.url", options.base.database.url.value), ("database.owner_url", options.base.database.ownerURL.value),
        ]
        for (name, url) in urls {
            if let password = SecurityChecks.password(of: url) { canaries["password in \(name)"] = password }
        }
        self.canaries = canaries
        workerEnvironment = ["TIERFLOW_FAULTS_API_KEY": String(environmentKey)]
    }

    /// The scenarios of a run: `names` (all when empty), or the quick subset.
    public static func select(names: [String], quick: Bool) throws -> [FaultScenario] {
        let all = FaultScenario.all
        if names.isEmpty { return quick ? all.filter(\.quick) : all }
        return try names.map { name in
            guard let scenario = all.first(where: { $0.name == name }) else {
                throw FaultSuiteError("no scenario \"\(name)\"; scenarios are \(all.map(\.name).joined(separator: ", "))")
            }
            return scenario
        }
    }

    /// Runs `scenarios` one after the other, then the secret scan; returns the report.
    public func run(_ scenarios: [FaultScenario]) async throws -> ReliabilityReport {
        try refuseSharedInstance()
        try FileManager.default.createDirectory(at: options.logDirectory, withIntermediateDirectories: true)
        let started = Date()
        let database = try await PostgresConnection.connect(
            configuration: PostgresConfiguration(url: options.base.database.ownerURL.value, applicationName: "faults-ledger"), logger: logger)
        let services = ServiceControl(script: options.servicesScript)
        var llm: ScriptedLLMServer?
        if scenarios.contains(where: { if case .scripted = $0.edge { true } else { false } }) {
            llm = try await ScriptedLLMServer.start(script: options.llmServerScript, logger: logger)
        }
        var reports: [ScenarioReport] = []
        for scenario in scenarios {
            logger.notice("scenario \(scenario.name): \(scenario.title)")
            let report: ScenarioReport
            do {
                report = try await runScenario(scenario, database: database, services: services, llm: llm)
            } catch {
                logger.error("scenario \(scenario.name) could not run: \(error)")
                report = ScenarioReport(name: scenario.name, title: scenario.title, error: "\(error)")
                _ = try? await services.run(["start"])  // whatever it stopped, start it again
            }
            logger.notice("scenario \(scenario.name): \(report.summary)")
            reports.append(report)
        }
        await llm?.stop()

        let sqlFindings = (try? SQLInterpolationScan(root: options.sourceRoot.appendingPathComponent("Sources")).run()) ?? []
        let secrets = try await SecurityChecks.scanForSecrets(canaries, logs: options.logDirectory, database: database)
        await database.close()
        return ReliabilityReport(
            started: started, elapsed: Date().timeIntervalSince(started), quick: options.quick, rate: options.rate,
            duration: options.duration.seconds, scenarios: reports, secretScan: secrets, sqlFindings: sqlFindings)
    }

    /// Scenarios restart and block the broker and database: never on the instance the other tests share.
    func refuseSharedInstance() throws {
        let shared = ["127.0.0.1:5699", "localhost:5699", "127.0.0.1:5499", "localhost:5499"]
        let urls = [options.base.broker.url.value, options.base.database.url.value]
        if urls.contains(where: { url in shared.contains { url.contains("@\($0)/") } }) {
            throw FaultSuiteError(
                "the configuration points at the shared broker or database (ports 5699/5499); run scripts/faults.sh, which starts a separate instance")
        }
        let node = ProcessInfo.processInfo.environment["TIERFLOW_RABBIT_NODE"] ?? "tierflow@localhost"
        if node == "tierflow@localhost" {
            throw FaultSuiteError("TIERFLOW_RABBIT_NODE is the shared node's name; run scripts/faults.sh, which starts a separate instance")
        }
    }

    // MARK: One scenario

    func runScenario(_ scenario: FaultScenario, database: PostgresConnection, services: ServiceControl, llm: ScriptedLLMServer?) async throws -> ScenarioReport {
        let began = ContinuousClock.now
        let namespace = "tierflow.faults.\(runId).\(scenario.name)"  // the worker user may use tierflow.* only
        let site = "faults-\(runId)-\(scenario.name)"
        var edgeYAML = "backend: simulated, model: small, simulated: {skill: 0.5, latency_ms: 20}, max_concurrency: 16"
        if case .scripted(let bad, let then, let tierYAML) = scenario.edge, let llm {
            try await llm.script(scenario.name, bad(plannedQueries), then: then)
            edgeYAML = "backend: openai, endpoint: \"\(llm.endpoint(scenario.name))\", model: faults-edge, \(tierYAML)"
        }
        let yaml = Self.configYAML(base: options.base, namespace: namespace, edge: edgeYAML, literalKey: literalKey)
        let config = try PipelineConfig.parse(yaml: yaml, file: "\(scenario.name).yaml", environment: workerEnvironment)
        let topology = PipelineTopology(config: config)

        let inspector = try await AMQPQueueInspector(endpoint: try AMQPEndpoint(url: config.broker.adminURL.value), logger: logger)
        try await inspector.declare(topology.all)
        let logs = options.logDirectory.appendingPathComponent(scenario.name)
        try? FileManager.default.removeItem(at: logs)
        let processes = try WorkerProcessGroup(binDirectory: options.binDirectory, configYAML: yaml, directory: logs)
        let publisher = try await AMQPPublisher(
            endpoint: try AMQPEndpoint(url: config.broker.url.value).named("faults-load"), topology: topology.all, logger: logger)
        let tap = try await ResultTap(
            endpoint: try AMQPEndpoint(url: config.broker.url.value), namespace: namespace, resultsExchange: topology.resultsExchange,
            logger: logger)
        let ledger = QueryLedger(scope: .init(namespace: namespace, site: site))
        let load = LoadGenerator(config: config, publisher: publisher, ledger: ledger, site: site, logger: logger)
        let context = ScenarioContext(
            scenario: scenario, config: config, processes: processes, services: services, ledger: ledger, load: load,
            database: database, inspector: inspector, llm: llm, plannedQueries: plannedQueries, quick: options.quick,
            loadDuration: options.duration, environment: workerEnvironment, logger: logger)

        defer { processes.killAll() }
        let armed = scenario.armed(plannedQueries)
        for stage in ScenarioContext.stages {
            try context.start(stage.executable, tier: stage.tier, armed: armed[ScenarioContext.name(stage)])
        }
        let queues = topology.all.queues.map(\.name)
        let subscribed = await context.wait(upTo: .seconds(30), every: .milliseconds(200)) {
            var all = true
            for queue in queues where ((try? await inspector.status(ofQueue: queue))?.consumerCount ?? 0) == 0 { all = false }
            return all
        }
        if !subscribed { context.fail("not every queue had a consumer 30 s after start") }

        let supervisor = Task { await context.superviseLoop() }
        let sampler = Task { await context.sampleQueues() }
        let loadStarted = ContinuousClock.now
        let duration = options.duration
        let injecting = Task {
            try? await Task.sleep(until: loadStarted + duration * scenario.faultAt)
            do { try await scenario.inject(context) } catch {
                context.fail("injecting the fault failed: \(error)")
                context.faultEnded()
            }
        }
        // Recovery: from the end of the fault until every query sent by then (confirmed or still held up by the
        // fault) has its ending.
        let settleTimeout = options.settleTimeout
        let recovery = Task { () -> Double? in
            await injecting.value
            guard let end = context.record.withLock({ $0.faultEnd }) else { return nil }
            let pending = load.sentQueryIds
            let deadline = ContinuousClock.now + settleTimeout
            while ContinuousClock.now < deadline {
                if let outstanding = try? await ledger.outstanding(pending, on: database), outstanding == 0 {
                    return (ContinuousClock.now - end).seconds
                }
                try? await Task.sleep(for: .milliseconds(250))
            }
            return nil
        }
        await load.run(rate: options.rate, duration: duration, repeatShare: scenario.repeatShare)
        let recovered = await recovery.value
        var counts = try await ledger.settle(on: database, timeout: options.settleTimeout)
        try await Task.sleep(for: .seconds(1))  // room for a late duplicate to land
        supervisor.cancel()
        sampler.cancel()
        _ = await supervisor.value
        let exits = try await processes.terminateAll(within: .seconds(30))
        counts = try await ledger.check(on: database)

        var failures = context.record.withLock { $0.failures }
        failures += (try? await scenario.verify(context)) ?? ["the scenario's own checks could not run"]
        if exits.values.contains(where: { $0 != 0 }) {
            context.note("exit statuses at the end: " + exits.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        }
        let statistics = load.statistics
        if statistics.failed > 0 { context.note("\(statistics.failed) publishes were not confirmed (not in the ledger)") }

        let results = tap.summary
        context.note(
            "a subscriber to the results exchange received \(results.messages) result messages; \(results.repeated) query ids came twice "
                + "(republished after a crash or reconnect, same message id)")
        if let conflicts = try? await tap.conflicts(on: database), !conflicts.isEmpty {
            failures.append(
                "\(conflicts.count) queries had a result message that differs from their stored result (e.g. \(conflicts.prefix(3).joined(separator: ", ")))")
        }
        await tap.close()
        try? await inspector.deleteQueue(tap.queue)
        await publisher.close()
        for queue in topology.all.queues { try? await inspector.deleteQueue(queue.name) }
        for exchange in topology.all.exchanges { try? await inspector.deleteExchange(exchange.name) }
        await inspector.close()

        let record = context.record.withLock { $0 }
        return ScenarioReport(
            name: scenario.name, title: scenario.title, counts: counts, repeats: statistics.repeats,
            faultSeconds: record.faultStart.flatMap { start in record.faultEnd.map { ($0 - start).seconds } },
            recoverySeconds: recovered, elapsedSeconds: (ContinuousClock.now - began).seconds,
            notes: record.notes, failures: failures)
    }

    var plannedQueries: Int { Int((options.rate * options.duration.seconds).rounded()) }

    var literalKey: String { canaries["tier api_key written in the YAML"] ?? "" }

    /// A pipeline like production's on the suite's broker and database, every tier simulated but `edge`
    /// as given; the tiers carry API keys (the canaries) so the secret scan has something to find.
    static func configYAML(base: PipelineConfig, namespace: String, edge: String, literalKey: String) -> String {
        """
        namespace: \(namespace)
        broker: {url: "\(base.broker.url.value)", admin_url: "\(base.broker.adminURL.value)", heartbeat_seconds: 10, confirm_window: 256}
        database: {url: "\(base.database.url.value)", owner_url: "\(base.database.ownerURL.value)", max_batch: 500}
        queues: {prefetch: 32, delivery_limit: 5, max_message_bytes: 65536}
        ingest: {flood_window_seconds: 0, default_deadline_seconds: 300}
        layer0: {enabled: true, cache: {enabled: false}}
        router: {kind: transparent, quality_target: 0.5}
        evaluator: {max_cost_per_query_usd: 5}
        tiers:
          - {name: edge, \(edge), api_key: "${TIERFLOW_FAULTS_API_KEY}", price: {input: 0, output: 0}, confidence_threshold: 0.6}
          - {name: gpu, backend: simulated, model: big, api_key: "${TIERFLOW_FAULTS_API_KEY}", price: {input: 0.6, output: 0.8}, max_concurrency: 16, confidence_threshold: 0.6, simulated: {skill: 0.9, latency_ms: 40}}
          - {name: cloud, backend: simulated, model: frontier, api_key: "\(literalKey)", price: {input: 15, output: 75}, max_concurrency: 16, confidence_threshold: 0.0, simulated: {skill: 1, latency_ms: 60}}

        """
    }
}

/// What one scenario found.
public struct ScenarioReport: Sendable {
    public var name: String
    public var title: String
    public var counts = QueryLedger.Counts()
    public var repeats = 0
    public var faultSeconds: Double?
    public var recoverySeconds: Double?
    public var elapsedSeconds: Double = 0
    public var notes: [String] = []
    public var failures: [String] = []
    /// The scenario could not run at all.
    public var error: String?

    init(name: String, title: String, error: String) {
        self.name = name
        self.title = title
        self.error = error
        failures = [error]
    }

    init(
        name: String, title: String, counts: QueryLedger.Counts, repeats: Int, faultSeconds: Double?, recoverySeconds: Double?,
        elapsedSeconds: Double, notes: [String], failures: [String]
    ) {
        self.name = name
        self.title = title
        self.counts = counts
        self.repeats = repeats
        self.faultSeconds = faultSeconds
        self.recoverySeconds = recoverySeconds
        self.elapsedSeconds = elapsedSeconds
        self.notes = notes
        self.failures = failures
    }

    /// Whether the ledger is clean and every check of the scenario passed.
    public var passed: Bool { error == nil && counts.isClean && failures.isEmpty }

    public var summary: String {
        if let error { return "ERROR \(error)" }
        let recovery = recoverySeconds.map { String(format: "%.1f s", $0) } ?? "-"
        return "\(passed ? "PASS" : "FAIL") queries \(counts.queries) poison \(counts.poison) lost \(counts.lost) duplicated \(counts.duplicated) "
            + "unexpected \(counts.unexpected) dead-lettered \(counts.deadLettered) recovery \(recovery)"
            + (failures.isEmpty ? "" : " | " + failures.joined(separator: "; "))
    }
}
