import Foundation
import TierflowPostgres

/// Gathers a ``StatusSnapshot``: queue figures from the broker, the rest from the hop log and `results`.
///
/// Rates, shares and percentiles cover the `window` before now; spend covers the database's current
/// UTC day, as the router's budget check does. The tables are shared by every namespace in the database.
public struct StatusCollector: Sendable {
    /// A queue to show and what consumes it.
    public struct QueueSpec: Sendable, Hashable {
        public var stage: String
        public var tier: String?
        public var name: String

        public init(stage: String, tier: String? = nil, name: String) {
            self.stage = stage
            self.tier = tier
            self.name = name
        }
    }

    /// Where queue figures come from: the management API, or passive declares over AMQP (no unacked count, no rates).
    public enum QueueSource: Sendable {
        case management(ManagementAPIClient)
        case amqp(@Sendable (String) async throws -> (ready: Int, consumers: Int))
    }

    public var namespace: String
    public var queues: [QueueSpec]
    public var dailyBudgetUSD: Double

    public init(namespace: String, queues: [QueueSpec], dailyBudgetUSD: Double) {
        self.namespace = namespace
        self.queues = queues
        self.dailyBudgetUSD = dailyBudgetUSD
    }

    /// Reads everything once.
    public func snapshot(database: PostgresConnection, queueSource: QueueSource, window: Duration) async throws -> StatusSnapshot {
        let seconds = Double(window.components.seconds) + Double(window.components.attoseconds) / 1e18
        let rows = try await queueRows(queueSource)
        let since: [PostgresValue] = [.double(seconds)]
        let summary = try await database.query(
            """
            SELECT count(*)::int8 AS n,
                   count(*) FILTER (WHERE finished_at >= now() - interval '60 seconds')::int8 AS last_minute,
                   coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms), 0)::float8 AS p50,
                   coalesce(percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms), 0)::float8 AS p99,
                   count(*) FILTER (WHERE escalations > 0)::int8 AS escalated,
                   count(*) FILTER (WHERE low_confidence)::int8 AS low_confidence
            FROM results WHERE finished_at >= now() - make_interval(secs => $1)
            """, since)
        let mix = try await database.query(
            """
            SELECT layer, coalesce(tier, '') AS tier, count(*)::int8 AS n FROM results
            WHERE finished_at >= now() - make_interval(secs => $1) GROUP BY 1, 2 ORDER BY 1, 2
            """, since)
        let hops = try await database.query(
            """
            SELECT stage, tier, count(*)::int8 AS n,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - started_at))::float8 * 1000 AS p50,
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - started_at))::float8 * 1000 AS p99
            FROM hops WHERE finished_at >= now() - make_interval(secs => $1) AND stage IN ('layer0', 'router', 'tier', 'evaluator')
            GROUP BY 1, 2 ORDER BY array_position(ARRAY['layer0', 'router', 'tier', 'evaluator'], stage), 2
            """, since)
        let spentToday = try await TierSpend.today(on: database)
        let dead = try await database.query(
            "SELECT count(*)::int8 AS n FROM dead_letters WHERE created_at >= now() - make_interval(secs => $1)", since)

        let total = try summary.first?.int("n") ?? 0
        // Shares over the mix query's own rows: results keep arriving between the two queries.
        let mixTotal = try mix.reduce(0) { $0 + (try $1.int("n") ?? 0) }
        let lastMinute = try summary.first?.int("last_minute") ?? 0
        let escalated = try summary.first?.int("escalated") ?? 0
        return StatusSnapshot(
            namespace: namespace, generatedAt: Date(), windowSeconds: seconds, queues: rows.rows, queueSource: rows.source,
            results: total, throughputLastMinute: Double(lastMinute) / min(60, seconds),
            throughputWindow: seconds > 0 ? Double(total) / seconds : 0,
            tierMix: try mix.map { row in
                let count = try row.int("n") ?? 0
                return .init(
                    layer: try row.int("layer") ?? 0, tier: try row.string("tier") ?? "", count: count,
                    share: mixTotal > 0 ? Double(count) / Double(mixTotal) : 0)
            },
            p50Ms: try summary.first?.double("p50") ?? 0, p99Ms: try summary.first?.double("p99") ?? 0,
            hops: try hops.map { row in
                .init(
                    stage: try row.string("stage") ?? "", tier: try row.string("tier") ?? "", count: try row.int("n") ?? 0,
                    p50Ms: try row.double("p50") ?? 0, p99Ms: try row.double("p99") ?? 0)
            },
            escalationRate: total > 0 ? Double(escalated) / Double(total) : 0,
            lowConfidence: try summary.first?.int("low_confidence") ?? 0, deadLetters: try dead.first?.int("n") ?? 0,
            spentTodayUSD: spentToday, dailyBudgetUSD: dailyBudgetUSD)
    }

    private func queueRows(_ source: QueueSource) async throws -> (rows: [StatusSnapshot.QueueRow], source: String) {
        switch source {
        case .management(let client):
            let stats = try await client.queues(prefix: namespace + ".")
            let rows = queues.map { spec in
                let figures = stats[spec.name]
                return StatusSnapshot.QueueRow(
                    stage: spec.stage, tier: spec.tier, name: spec.name, ready: figures?.ready ?? 0,
                    unacknowledged: figures?.unacknowledged ?? 0, consumers: figures?.consumers ?? 0,
                    inRate: figures?.publishRate, outRate: figures?.ackRate)
            }
            return (rows, "management")
        case .amqp(let read):
            var rows: [StatusSnapshot.QueueRow] = []
            for spec in queues {
                let figures = try? await read(spec.name)
                rows.append(
                    .init(
                        stage: spec.stage, tier: spec.tier, name: spec.name, ready: figures?.ready ?? 0, unacknowledged: nil,
                        consumers: figures?.consumers ?? 0))
            }
            return (rows, "amqp")
        }
    }
}
