import Foundation
import Logging
import Synchronization
import TierflowAMQP
import TierflowCore
import TierflowPostgres
import TierflowServices

/// What a running scenario can reach: the pipeline's processes, its load, the services and the ledger.
public final class ScenarioContext: Sendable {
    public let scenario: FaultScenario
    public let config: PipelineConfig
    public let topology: PipelineTopology
    public let processes: WorkerProcessGroup
    public let services: ServiceControl
    public let ledger: QueryLedger
    public let load: LoadGenerator
    public let database: PostgresConnection
    public let inspector: AMQPQueueInspector
    public let llm: ScriptedLLMServer?
    public let logger: Logger
    /// The load's size, for scenarios that scale with it.
    public let plannedQueries: Int
    public let quick: Bool
    /// How long the load runs.
    public let loadDuration: Duration
    /// Unique to this run and scenario (the events' site): a prefix for message ids that must not collide
    /// with an earlier run's rows.
    public var runTag: String { ledger.scope.site ?? ledger.scope.namespace }
    /// Added to every worker's environment.
    let environment: [String: String]

    struct Record {
        var faultStart: ContinuousClock.Instant?
        var faultEnd: ContinuousClock.Instant?
        var supervising = true
        /// Processes that died without being asked to (name, how), in order.
        var crashes: [(name: String, status: WorkerProcessGroup.Status, at: ContinuousClock.Instant)] = []
        var restarts: [String: Int] = [:]
        var notes: [String] = []
        var maxQueueDepth: [String: Int] = [:]
        var failures: [String] = []
    }

    /// The exit statuses of a SIGTERM round, by process.
    let sigtermStatuses = Mutex<[String: Int32]>([:])

    /// The broker's virtual host.
    public var vhost: String { (try? AMQPEndpoint(url: config.broker.url.value).virtualHost) ?? "/" }

    /// Records a failure found while injecting.
    public func fail(_ text: String) {
        logger.warning("\(scenario.name): \(text)")
        record.withLock { $0.failures.append(text) }
    }

    let record = Mutex(Record())

    init(
        scenario: FaultScenario, config: PipelineConfig, processes: WorkerProcessGroup, services: ServiceControl,
        ledger: QueryLedger, load: LoadGenerator, database: PostgresConnection, inspector: AMQPQueueInspector,
        llm: ScriptedLLMServer?, plannedQueries: Int, quick: Bool, loadDuration: Duration, environment: [String: String], logger: Logger
    ) {
        self.loadDuration = loadDuration
        self.environment = environment
        self.scenario = scenario
        self.config = config
        topology = PipelineTopology(config: config)
        self.processes = processes
        self.services = services
        self.ledger = ledger
        self.load = load
        self.database = database
        self.inspector = inspector
        self.llm = llm
        self.plannedQueries = plannedQueries
        self.quick = quick
        self.logger = logger
    }

    /// Marks the start of the fault (first call wins).
    public func faultStarted() {
        record.withLock { if $0.faultStart == nil { $0.faultStart = .now } }
    }

    /// Marks the end of the fault: recovery time is measured from the last call.
    public func faultEnded() {
        record.withLock { $0.faultEnd = .now }
    }

    /// Adds a line to the scenario's report.
    public func note(_ text: String) {
        logger.info("\(scenario.name): \(text)")
        record.withLock { $0.notes.append(text) }
    }

    /// Stops or resumes restarting processes that die.
    public func supervise(_ on: Bool) {
        record.withLock { $0.supervising = on }
    }

    /// Crashes so far.
    public var crashes: [(name: String, status: WorkerProcessGroup.Status, at: ContinuousClock.Instant)] {
        record.withLock { $0.crashes }
    }

    /// Times each process was restarted after dying.
    public var restarts: [String: Int] { record.withLock { $0.restarts } }

    /// The worker processes of a pipeline, with how to start each.
    public static let stages: [(executable: String, tier: String?)] = [
        ("layer0", nil), ("router", nil), ("evaluator", nil), ("worker", "edge"), ("worker", "gpu"), ("worker", "cloud"),
    ]

    /// Starts a stage process; `armed` adds `TIERFLOW_FAULT_CRASH`.
    func start(_ executable: String, tier: String?, armed: String? = nil) throws {
        var environment = self.environment
        if let armed { environment[FaultInjection.variable] = armed }
        try processes.start(executable, tier: tier, logLevel: "info", environment: environment)
    }

    /// Restarts whatever died (once per check), while supervising. Runs until cancelled.
    func superviseLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(100))
            guard record.withLock({ $0.supervising }) else { continue }
            for (name, status) in processes.statuses where status != .running {
                guard record.withLock({ $0.supervising }) else { break }
                guard let stage = Self.stages.first(where: { Self.name($0) == name }) else { continue }
                record.withLock { $0.crashes.append((name, status, .now)) }
                logger.info("\(scenario.name): \(name) died (\(status)); restarting it")
                do {
                    let armed = scenario.rearm ? scenario.armed(plannedQueries)[name] : nil
                    try start(stage.executable, tier: stage.tier, armed: armed)
                    record.withLock { $0.restarts[name, default: 0] += 1 }
                } catch {
                    logger.error("could not restart \(name): \(error)")
                }
            }
        }
    }

    static func name(_ stage: (executable: String, tier: String?)) -> String {
        stage.tier.map { "\(stage.executable)-\($0)" } ?? stage.executable
    }

    /// Samples the depth of every work queue until cancelled, keeping the largest seen.
    func sampleQueues() async {
        let queues = [topology.ingestQueue, topology.routerQueue, topology.evaluatorQueue] + config.tiers.map { topology.tierQueue($0.name) }
        while !Task.isCancelled {
            for queue in queues {
                if let status = try? await inspector.status(ofQueue: queue) {
                    record.withLock { $0.maxQueueDepth[queue] = max($0.maxQueueDepth[queue] ?? 0, status.messageCount) }
                }
            }
            try? await Task.sleep(for: .milliseconds(500))
        }
    }

    /// The deepest any work queue got, with its name.
    public var deepestQueue: (name: String, depth: Int)? {
        record.withLock { $0.maxQueueDepth.max { $0.value < $1.value }.map { ($0.key, $0.value) } }
    }

    /// Waits until `condition` holds or `limit` passes; returns whether it held.
    public func wait(upTo limit: Duration, every poll: Duration = .milliseconds(100), until condition: () async -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: poll)
        }
        return await condition()
    }
}
