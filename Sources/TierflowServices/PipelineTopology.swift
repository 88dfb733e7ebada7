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
/// Work queues are quorum queues with an explicit delivery limit that dead-letter to `tierflow.dlx`.
public struct PipelineTopology: Sendable {
    public static let workExchange = "tierflow.work"
    public static let deadLetterExchange = "tierflow.dlx"
    public static let deadLetterQueue = "tierflow.dead"
    public static let ingestQueue = "tierflow.ingest"
    public static let routerQueue = "tierflow.router"
    public static let evaluatorQueue = "tierflow.evaluator"
    public static let routerKey = "router"
    public static let evaluatorKey = "evaluator"

    public let config: PipelineConfig

    public init(config: PipelineConfig) {
        self.config = config
    }

    public var ingestExchange: String { config.ingest.exchange }
    public var resultsExchange: String { config.results.exchange }

    /// The queue of tier `name`.
    public static func tierQueue(_ name: String) -> String { "tierflow.tier.\(name)" }
    /// The routing key of tier `name` on the work exchange.
    public static func tierKey(_ name: String) -> String { "tier.\(name)" }

    /// Everything, for `tierflow setup` and tests.
    public var all: AMQPTopology {
        var queues = [workQueue(Self.ingestQueue), workQueue(Self.routerQueue), workQueue(Self.evaluatorQueue)]
        queues += config.tiers.map { workQueue(Self.tierQueue($0.name)) }
        queues.append(AMQPTopology.Queue(name: Self.deadLetterQueue, quorum: true))
        var bindings = [
            AMQPTopology.Binding(queue: Self.ingestQueue, exchange: ingestExchange, routingKey: "#"),
            AMQPTopology.Binding(queue: Self.routerQueue, exchange: Self.workExchange, routingKey: Self.routerKey),
            AMQPTopology.Binding(queue: Self.evaluatorQueue, exchange: Self.workExchange, routingKey: Self.evaluatorKey),
            AMQPTopology.Binding(queue: Self.deadLetterQueue, exchange: Self.deadLetterExchange, routingKey: ""),
        ]
        bindings += config.tiers.map {
            AMQPTopology.Binding(queue: Self.tierQueue($0.name), exchange: Self.workExchange, routingKey: Self.tierKey($0.name))
        }
        return AMQPTopology(
            exchanges: [
                .init(name: ingestExchange, kind: .topic),
                .init(name: Self.workExchange, kind: .direct),
                .init(name: resultsExchange, kind: .topic),
                .init(name: Self.deadLetterExchange, kind: .fanout),
            ],
            queues: queues,
            bindings: bindings)
    }

    private func workQueue(_ name: String) -> AMQPTopology.Queue {
        AMQPTopology.Queue(
            name: name, quorum: true, deliveryLimit: config.queues.deliveryLimit,
            deadLetterExchange: Self.deadLetterExchange)
    }
}
