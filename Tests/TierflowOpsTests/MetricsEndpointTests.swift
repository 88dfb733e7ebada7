import Foundation
import Testing
import TierflowServices

extension OpsLiveTests {
    /// Every worker process serves `/metrics`, `/health` and `/ready`, with the pipeline's series in them.
    @Suite("Metrics endpoints")
    struct MetricsEndpointTests {
        @Test func everyProcessServesTheExpectedSeries() async throws {
            let pipeline = try await OpsPipeline()
            let ports = try pipeline.startAll()
            try await Task.sleep(for: .seconds(1))
            let ids = try await pipeline.publish(60)
            let answered = try await pipeline.waitForResults(ids, timeout: .seconds(60))
            try await Task.sleep(for: .milliseconds(300))  // the last acks land after the result rows

            var scraped: [String: String] = [:]
            for (name, port) in ports {
                #expect(HTTPGet.fetch("http://127.0.0.1:\(port)/health").status == 200, "\(name) /health")
                #expect(HTTPGet.fetch("http://127.0.0.1:\(port)/ready").status == 200, "\(name) /ready")
                let metrics = HTTPGet.fetch("http://127.0.0.1:\(port)/metrics")
                #expect(metrics.status == 200, "\(name) /metrics")
                scraped[name] = metrics.body
            }
            let exits = await pipeline.stop()

            #expect(answered == ids.count)
            let layer0 = scraped["layer0"] ?? "", evaluator = scraped["evaluator"] ?? "", edge = scraped["worker-edge-0"] ?? ""
            let router = scraped["router"] ?? ""
            // Hop latency per stage and tier, one observation per delivery handled.
            #expect(PrometheusText.sum(layer0, "tierflow_hop_duration_seconds_count", ["stage": "layer0", "outcome": "ok"]) == Double(ids.count))
            #expect(PrometheusText.sum(router, "tierflow_hop_duration_seconds_count", ["stage": "router"]) == Double(ids.count))
            // The router picks a start tier per query (mostly edge; queue depth and load can move some up).
            #expect(PrometheusText.sum(router, "tierflow_routed_total") == Double(ids.count))
            let routedEdge = PrometheusText.sum(router, "tierflow_routed_total", ["tier": "edge"]) ?? 0
            let routedGPU = PrometheusText.sum(router, "tierflow_routed_total", ["tier": "gpu"]) ?? 0
            #expect(routedEdge > 0)
            #expect(PrometheusText.sum(edge, "tierflow_hop_duration_seconds_count", ["stage": "tier", "tier": "edge", "outcome": "ok"]) == routedEdge)
            #expect(PrometheusText.sum(edge, "tierflow_messages_total", ["stage": "tier", "tier": "edge", "outcome": "ok"]) == routedEdge)
            #expect(PrometheusText.sum(edge, "tierflow_inflight_deliveries", ["tier": "edge"]) == 0)
            // Every query finalised once in the evaluator, by layer; escalations by tier pair add up.
            let finals = PrometheusText.sum(evaluator, "tierflow_results_total") ?? 0
            #expect(finals == Double(ids.count))
            let escalations = PrometheusText.sum(evaluator, "tierflow_escalations_total", ["from": "edge", "to": "gpu"]) ?? 0
            let gpuFinals = PrometheusText.sum(evaluator, "tierflow_results_total", ["tier": "gpu"]) ?? 0
            #expect(escalations > 0, "edge (skill 0.7, threshold 0.6) escalates some answers")
            #expect(escalations + routedGPU == gpuFinals, "every query that reached gpu ended there (skill 1)")
            #expect(PrometheusText.sum(evaluator, "tierflow_confidence_count", ["tier": "edge"]) == routedEdge)
            #expect(PrometheusText.sum(evaluator, "tierflow_query_latency_seconds_count") == Double(ids.count))
            // Tokens and spend by tier; backend calls and the circuit.
            #expect((PrometheusText.sum(edge, "tierflow_tokens_total", ["tier": "edge", "direction": "in"]) ?? 0) > 0)
            #expect((PrometheusText.sum(edge, "tierflow_cost_usd_total", ["tier": "edge"]) ?? 0) > 0)
            #expect(PrometheusText.sum(edge, "tierflow_backend_calls_total", ["tier": "edge", "outcome": "success"]) == routedEdge)
            #expect(PrometheusText.sum(edge, "tierflow_circuit_state", ["tier": "edge"]) == 0)
            // Layer 0 is off in this pipeline: every lookup says so.
            #expect(PrometheusText.sum(layer0, "tierflow_layer0_lookups_total", ["outcome": "disabled"]) == Double(ids.count))
            #expect(exits.values.allSatisfy { $0 == 0 }, "\(exits)")
        }

        @Test func readinessNeedsTheDatabase() async throws {
            // A worker whose database is unreachable is alive but not ready.
            let pipeline = try await OpsPipeline()
            let broken = pipeline.yaml.replacingOccurrences(
                of: pipeline.config.database.url.value, with: "postgresql://nobody:nothing@127.0.0.1:1/none")
            let processes = try WorkerProcessGroup(binDirectory: WorkerBinaries.directory, configYAML: broken)
            defer { processes.killAll() }
            let port = FreePort.next(), goodPort = FreePort.next()
            try processes.start("worker", tier: "edge", metricsPort: port)
            try pipeline.processes.start("worker", tier: "gpu", metricsPort: goodPort)
            var health = 0, ready = 0
            for _ in 0..<100 where health != 200 || ready != 200 {
                try await Task.sleep(for: .milliseconds(100))
                health = HTTPGet.fetch("http://127.0.0.1:\(port)/health").status
                ready = HTTPGet.fetch("http://127.0.0.1:\(goodPort)/ready").status
            }
            try await Task.sleep(for: .seconds(1))
            let brokenReady = HTTPGet.fetch("http://127.0.0.1:\(port)/ready").status
            _ = try await processes.terminateAll(within: .seconds(10))
            processes.removeTemporaryDirectory()
            _ = await pipeline.stop()

            #expect(health == 200, "alive")
            #expect(brokenReady == 503, "not ready without its database")
            #expect(ready == 200, "a worker with its broker and database is ready")
        }
    }
}
