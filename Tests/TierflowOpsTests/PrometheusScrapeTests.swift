import Foundation
import Testing
import TierflowServices

/// The Prometheus binary (Debian's `prometheus` package; `scripts/ops_tools.sh` installs it).
enum PrometheusBinary {
    static var path: String? {
        let candidates = [ProcessInfo.processInfo.environment["PROMETHEUS_BIN"], "/usr/bin/prometheus", "/usr/local/bin/prometheus"]
        return candidates.compactMap { $0 }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

extension OpsLiveTests {
    /// A real Prometheus server scrapes the running workers and sees the pipeline's series.
    @Suite("Prometheus scrape", .enabled(if: PrometheusBinary.path != nil))
    struct PrometheusScrapeTests {
        @Test func aRealPrometheusScrapesEveryWorker() async throws {
            let pipeline = try await OpsPipeline()
            let ports = try pipeline.startAll()
            let directory = pipeline.processes.directory
            let webPort = FreePort.next()
            let targets = ports.sorted { $0.key < $1.key }
            var config = "global: {scrape_interval: 1s, scrape_timeout: 900ms}\nscrape_configs:\n"
            for (name, port) in targets {
                config += "  - job_name: \(name)\n    static_configs: [{targets: ['127.0.0.1:\(port)'], labels: {process: \(name)}}]\n"
            }
            let configPath = directory.appendingPathComponent("prometheus.yml").path
            try config.write(toFile: configPath, atomically: true, encoding: .utf8)
            let server = Process()
            server.executableURL = URL(fileURLWithPath: PrometheusBinary.path!)
            server.arguments = [
                "--config.file=\(configPath)", "--storage.tsdb.path=\(directory.appendingPathComponent("tsdb").path)",
                "--web.listen-address=127.0.0.1:\(webPort)", "--log.level=warn",
            ]
            let log = directory.appendingPathComponent("prometheus.log")
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            server.standardOutput = try FileHandle(forWritingTo: log)
            server.standardError = try FileHandle(forWritingTo: log)
            try server.run()
            defer { if server.isRunning { server.terminate() } }

            // The router skips a tier it has seen without consumers. On a loaded machine the edge worker may
            // subscribe after the router's first look at the queues (once a second): then every query starts
            // above edge and nothing escalates. Publish once edge consumes and the router has looked again.
            #expect(try await pipeline.waitForConsumers(pipeline.topology.tierQueue("edge"), count: 1) == 1)
            try await Task.sleep(for: .milliseconds(1500))
            let ids = try await pipeline.publish(40)
            let answered = try await pipeline.waitForResults(ids, timeout: .seconds(60))
            let api = "http://127.0.0.1:\(webPort)/api/v1/query?query="
            func value(_ query: String) -> Double? {
                let encoded = query.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? query
                let answer = HTTPGet.fetch(api + encoded)
                guard answer.status == 200,
                    let object = try? JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any],
                    let data = object["data"] as? [String: Any], let result = data["result"] as? [[String: Any]],
                    let first = result.first, let pair = first["value"] as? [Any], let text = pair.last as? String
                else { return nil }
                return Double(text)
            }
            // Wait for scrapes after the last result: Prometheus sees every query finalised.
            var finals: Double?, up: Double?
            for _ in 0..<60 where finals != Double(ids.count) || up != Double(ports.count) {
                try await Task.sleep(for: .milliseconds(500))
                finals = value("sum(tierflow_results_total)")
                up = value("sum(up)")
            }
            let targetsReport = HTTPGet.fetch("http://127.0.0.1:\(webPort)/api/v1/targets").body
            let expected = [
                "tierflow_hop_duration_seconds_count{stage=\"tier\",tier=\"edge\"}",
                "tierflow_hop_duration_seconds_count{stage=\"evaluator\"}",
                "tierflow_escalations_total", "tierflow_confidence_bucket", "tierflow_tokens_total", "tierflow_cost_usd_total",
                "tierflow_backend_calls_total", "tierflow_backend_errors_total", "tierflow_backend_retries_total",
                "tierflow_circuit_state", "tierflow_inflight_deliveries", "tierflow_layer0_lookups_total", "tierflow_routed_total",
                "tierflow_query_latency_seconds_bucket",
            ]
            var series: [String: Double] = [:]
            for name in expected { series[name] = value("count(\(name))") }
            let p99 = value("histogram_quantile(0.99, sum by (le) (tierflow_hop_duration_seconds_bucket{stage=\"tier\"}))")
            server.terminate()
            server.waitUntilExit()
            _ = await pipeline.stop()

            #expect(answered == ids.count)
            #expect(up == Double(ports.count), "every worker is scraped and up: \(String(describing: up)) of \(ports.count): \(targetsReport)")
            #expect(finals == Double(ids.count), "Prometheus counts every final result")
            for name in expected {
                // backend errors are registered per error code on first use: none happened here.
                if name.contains("errors") { continue }
                #expect((series[name] ?? 0) > 0, "series \(name) is scraped")
            }
            #expect((p99 ?? 0) > 0.015, "tier hops take at least the 20 ms simulated latency at p99: \(String(describing: p99))")
        }
    }
}
