import Foundation
import Testing

extension OpsLiveTests {
    /// tierflow-gateway serves `/metrics`, `/health` and `/ready` on its ops port like the workers do.
    @Suite("Gateway metrics endpoint")
    struct GatewayMetricsTests {
        @Test func gatewayCountsRequestsByEndpointAndStatus() async throws {
            let httpPort = FreePort.next()
            let pipeline = try await OpsPipeline(
                extra: "gateway: {port: \(httpPort), require_api_key: false, request_timeout_seconds: 30}")
            try pipeline.startAll(metrics: false)
            let metricsPort = FreePort.next()
            try pipeline.processes.start("gateway", metricsPort: metricsPort)
            let ops = "http://127.0.0.1:\(metricsPort)", api = "http://127.0.0.1:\(httpPort)"
            var ready = 0
            for _ in 0..<200 where ready != 200 {
                try await Task.sleep(for: .milliseconds(100))
                ready = HTTPGet.fetch("\(ops)/ready").status
            }
            #expect(ready == 200, "the gateway's /ready")
            #expect(HTTPGet.fetch("\(ops)/health").status == 200)

            let chat = #"{"model": "tierflow", "messages": [{"role": "user", "content": "Pump P-7 discharge pressure low: what now? (%d)"}]}"#
            var answered = 0
            for index in 0..<3 where HTTPGet.post("\(api)/v1/chat/completions", json: String(format: chat, index)).status == 200 {
                answered += 1
            }
            let malformed = HTTPGet.post("\(api)/v1/chat/completions", json: #"{"model": "tierflow", "messages": "#).status
            let unknown = HTTPGet.fetch("\(api)/v1/nothing-here").status
            #expect(HTTPGet.fetch("\(api)/v1/models").status == 200)
            let metrics = HTTPGet.fetch("\(ops)/metrics")
            let exits = await pipeline.stop()

            #expect(answered == 3)
            #expect(malformed == 400 && unknown == 404)
            #expect(metrics.status == 200)
            let text = metrics.body
            let requests = "tierflow_gateway_requests_total"
            #expect(PrometheusText.sum(text, requests, ["endpoint": "chat_completions", "status": "200"]) == 3)
            #expect(PrometheusText.sum(text, requests, ["endpoint": "chat_completions", "status": "400"]) == 1)
            #expect(PrometheusText.sum(text, requests, ["endpoint": "other", "status": "404"]) == 1)
            #expect(PrometheusText.sum(text, requests, ["endpoint": "models", "status": "200"]) == 1)
            #expect(PrometheusText.sum(text, "tierflow_gateway_request_duration_seconds_count", ["endpoint": "chat_completions"]) == 4)
            #expect(PrometheusText.sum(text, "tierflow_gateway_inflight_requests") == 0)
            #expect(exits.values.allSatisfy { $0 == 0 }, "\(exits)")
        }
    }
}
