import Foundation
import Testing
import TierflowServices

extension OpsLiveTests {
    /// Scaling one tier by adding worker processes, and stopping some of them under load.
    ///
    /// The edge tier's simulated model takes 200 ms per call and each worker runs at most 4 calls at once, so
    /// one worker answers at most 20 queries/s: with the tier's queue full, more replicas must mean more
    /// throughput (measured on the tier itself, from the hop log, so the other stages cannot limit it).
    @Suite("Tier scaling")
    struct TierScalingTests {
        static let tiers = """
              - {name: edge, backend: simulated, model: small, price: {input: 0.1, output: 0.2}, max_concurrency: 4, confidence_threshold: 0.5, simulated: {skill: 1, latency_ms: 200}}
              - {name: gpu, backend: simulated, model: big, price: {input: 0.6, output: 0.8}, confidence_threshold: 0.5, simulated: {skill: 1}}
              - {name: cloud, backend: simulated, model: frontier, price: {input: 15, output: 75}, confidence_threshold: 0, simulated: {skill: 1}}
            """

        /// The edge tier's own throughput with `replicas` workers: `queries` queued straight to it, and the tier
        /// hops committed per second, from the first hop's start to the last hop's end (the hop log's timestamps).
        static func tierThroughput(replicas: Int, queries: Int) async throws -> (rate: Double, answered: Int) {
            let pipeline = try await OpsPipeline(tiers: tiers, prefetch: 8)
            for replica in 0..<replicas { try pipeline.processes.start("worker", tier: "edge", replica: replica) }
            try pipeline.processes.start("evaluator")
            let consumers = try await pipeline.waitForConsumers(pipeline.topology.tierQueue("edge"), count: replicas)
            let ids = try await pipeline.publishToTier("edge", count: queries)
            let deadline = ContinuousClock.now + .seconds(90)
            var hops = (count: 0, seconds: 0.0)
            while hops.count < queries && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
                hops = try await pipeline.tierHops(ids)
            }
            _ = await pipeline.stop()
            #expect(consumers == replicas, "every replica subscribed")
            return (hops.seconds > 0 ? Double(hops.count) / hops.seconds : 0, hops.count)
        }

        @Test func addingWorkersToATierRaisesItsThroughput() async throws {
            let one = try await Self.tierThroughput(replicas: 1, queries: 120)
            let two = try await Self.tierThroughput(replicas: 2, queries: 120)
            let three = try await Self.tierThroughput(replicas: 3, queries: 120)
            print(String(format: "edge tier, 200 ms calls, 4 per worker: 1 worker %.1f q/s, 2 workers %.1f q/s, 3 workers %.1f q/s", one.rate, two.rate, three.rate))
            #expect(one.answered == 120 && two.answered == 120 && three.answered == 120)
            #expect(one.rate < 21, "one worker is capped at 4 / 0.2 s = 20 queries/s: \(one.rate)")
            #expect(two.rate > one.rate * 1.6, "two workers: \(two.rate) vs \(one.rate)")
            #expect(three.rate > one.rate * 2.2, "three workers: \(three.rate) vs \(one.rate)")
        }

        @Test func stoppingWorkersOfATierUnderLoadLosesNothing() async throws {
            let pipeline = try await OpsPipeline(tiers: Self.tiers, prefetch: 8)
            try pipeline.startAll(edgeReplicas: 3, metrics: false)
            let consumers = try await pipeline.waitForConsumers(pipeline.topology.tierQueue("edge"), count: 3)
            let ids = try await pipeline.publish(360)
            // Early on: SIGTERM one replica (it drains), then at once kill -9 another (its deliveries go back).
            let before = try await pipeline.waitForResults(ids, atLeast: 60, timeout: .seconds(60))
            let drained = try await pipeline.processes.terminate("worker-edge-1", within: .seconds(20))
            let atCrash = try await pipeline.resultCount(ids).queries
            pipeline.processes.crash("worker-edge-2")
            let answered = try await pipeline.waitForResults(ids, timeout: .seconds(90))
            let ledger = try await pipeline.resultCount(ids)
            let tierHops = try await pipeline.database.query(
                "SELECT count(*)::int AS n, count(DISTINCT query_id)::int AS q, count(DISTINCT worker)::int AS w FROM hops WHERE stage = 'tier' AND query_id = ANY($1)",
                [.array(ids.map { .string($0) })])
            let exits = await pipeline.stop()

            #expect(before >= 60 && before < ids.count, "the first replica is stopped mid-stream (\(before) answered)")
            #expect(atCrash < ids.count, "the second replica is killed mid-stream (\(atCrash) answered)")
            #expect(consumers == 3)
            #expect(drained == 0, "SIGTERM: the replica drains and exits 0")
            #expect(answered == ids.count, "every query is answered by the replica left")
            #expect(ledger.rows == ids.count && ledger.queries == ids.count, "exactly one result per query: \(ledger)")
            #expect(try tierHops.first?.int("n") == ids.count, "one tier hop per query: none lost, none logged twice")
            // The work was spread: at least the survivor and one of the stopped replicas answered (how much the
            // killed one finished before the kill depends on timing).
            #expect(try (tierHops.first?.int("w") ?? 0) >= 2, "the replicas shared the work")
            #expect(exits["worker-edge-0"] == 0)
        }
    }
}
