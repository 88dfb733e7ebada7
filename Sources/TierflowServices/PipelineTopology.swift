import TierflowAMQP
import TierflowCore

/// The exchanges, queues and routing keys that connect the stages.
///
/// ```
/// publishers ─▶ tierflow.ingest (topic) ─▶ queue tierflow.ingest ─▶ layer0
/// layer0 ─▶ tierflow.work (direct) "router" ─▶ queue tierflow.router ─▶ router
/// router/evaluator ─▶ tierflow.work "tier.<name>" ─▶ queue tierflow.tier.<name> ─▶ tier workers
/// tier workers ─▶ tierflow.work "evaluator" ─▶ queue tierflow.evaluator ─▶ evaluator
/// layer0/evaluator ─▶ tierflow.results (topic) "result.<source>.<site>.<asset>" ─▶ subscribers
/// any stage ─▶ tierflow.dlx (fanout) ─▶ queue tierflow.dead ─▶ dead-letter recorder
/// ```
/// Batch work (`priority: batch`) travels a lane of its own: the same keys prefixed `batch.` on the work
/// exchange, into `tierflow.batch.ingest`, `.batch.router`, `.batch.tier.<name>` and `.batch.evaluator`;
/// each stage serves its batch queue only while its live queue is empty (``StageRunner``), so live events
/// never queue behind a batch. `tierflow batch run` publishes to `batch.ingest` (docs/batch.md).
/// Work queues are quorum queues with an explicit delivery limit that dead-letter to `tierflow.dlx`.
///
/// Every name starts with the configuration's `namespace` (`tierflow` by default), so several
/// pipelines (or test runs) can share one virtual host.
public struct PipelineTopology: Sendable {
    public static let routerKey = "router"
    public static let evaluatorKey = "evaluator"

    public let config: PipelineConfig
    public let namespace: String

    public init(config: PipelineConfig) {
        self.config = config
        namespace = config.namespace
    }

    public var workExchange: String { "\(namespace).work" }
    public var deadLetterExchange: String { "\(namespace).dlx" }
    public var deadLetterQueue: String { "\(namespace).dead" }
    public var ingestQueue: String { "\(namespace).ingest" }
    public var routerQueue: String { "\(namespace).router" }
    public var evaluatorQueue: String { "\(namespace).evaluator" }
    public var ingestExchange: String { config.ingest.exchange }
    /// The batch lane's entry: `tierflow batch run` publishes envelopes here (work exchange, ``batchIngestKey``).
    public var batchIngestQueue: String { "\(namespace).batch.ingest" }
    public static let batchIngestKey = "batch.ingest"

    /// The routing key of `key` in the lane of `priority`: batch queries stay in the batch lane, escalations included.
    public static func laneKey(_ key: String, _ priority: QueryEnvelope.Priority) -> String {
        priority == .batch ? "batch." + key : key
    }

    /// The batch-lane queue of the stage that consumes `liveQueue` (nil for queues without one, e.g. dead letters).
    public func batchLane(of liveQueue: String) -> String? {
        let stageQueues = [ingestQueue, routerQueue, evaluatorQueue] + config.tiers.map { tierQueue($0.name) }
        guard stageQueues.contains(liveQueue) else { return nil }
        return "\(namespace).batch." + liveQueue.dropFirst(namespace.count + 1)
    }
    public var resultsExchange: String { config.results.exchange }

    /// The queue of tier `name`.
    public func tierQueue(_ name: String) -> String { "\(namespace).tier.\(name)" }
    /// The routing key of tier `name` on the work exchange.
    public static func tierKey(_ name: String) -> String { "tier.\(name)" }

    /// Everything, for `tierflow setup` and tests.
    public var all: AMQPTopology {
        var queues = [workQueue(ingestQueue), workQueue(routerQueue), workQueue(evaluatorQueue)]
        queues += config.tiers.map { workQueue(tierQueue($0.name)) }
        queues += queues.compactMap { batchLane(of: $0.name).map(workQueue) }
        queues.append(AMQPTopology.Queue(name: deadLetterQueue, quorum: true))
        var bindings = [
            AMQPTopology.Binding(queue: ingestQueue, exchange: ingestExchange, routingKey: "#"),
            AMQPTopology.Binding(queue: routerQueue, exchange: workExchange, routingKey: Self.routerKey),
            AMQPTopology.Binding(queue: evaluatorQueue, exchange: workExchange, routingKey: Self.evaluatorKey),
            AMQPTopology.Binding(queue: deadLetterQueue, exchange: deadLetterExchange, routingKey: ""),
        ]
        bindings += config.tiers.map {
            AMQPTopology.Binding(queue: tierQueue($0.name), exchange: workExchange, routingKey: Self.tierKey($0.name))
        }
        // The batch lane: same stages, `batch.`-prefixed keys on the work exchange.
        let lanes = [(routerQueue, Self.routerKey), (evaluatorQueue, Self.evaluatorKey)]
            + config.tiers.map { (tierQueue($0.name), Self.tierKey($0.name)) }
        bindings.append(AMQPTopology.Binding(queue: batchIngestQueue, exchange: workExchange, routingKey: Self.batchIngestKey))
        bindings += lanes.map {
            AMQPTopology.Binding(queue: batchLane(of: $0.0)!, exchange: workExchange, routingKey: Self.laneKey($0.1, .batch))
        }
        return AMQPTopology(
            exchanges: [
                .init(name: ingestExchange, kind: .topic),
                .init(name: workExchange, kind: .direct),
                .init(name: resultsExchange, kind: .topic),
                .init(name: deadLetterExchange, kind: .fanout),
            ],
            queues: queues,
            bindings: bindings)
    }

    private func workQueue(_ name: String) -> AMQPTopology.Queue {
        AMQPTopology.Queue(
            name: name, quorum: true, deliveryLimit: config.queues.deliveryLimit,
            deadLetterExchange: deadLetterExchange)
    }
}
