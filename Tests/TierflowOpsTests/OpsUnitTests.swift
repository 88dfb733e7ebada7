import Foundation
import Testing
import TierflowCore
import TierflowMetrics
import TierflowOps

/// Configuration, rendering and metric recording, without services.
@Suite("Ops units")
struct OpsUnitTests {
    static let base = """
        broker: {url: "amqp://u:p@127.0.0.1:5672/tierflow"}
        database: {url: "postgresql://u:p@127.0.0.1/tierflow"}
        tiers:
          - {name: edge, backend: simulated, model: m, price: {input: 0, output: 0}}
        """

    @Test func opsSectionDefaultsToMetricsOff() throws {
        let config = try PipelineConfig.parse(yaml: Self.base)
        #expect(config.ops.metricsPort == 0)
        #expect(config.ops.metricsHost == "127.0.0.1")
        #expect(config.ops.managementURL.value.isEmpty)
    }

    @Test func opsSectionReadsPortHostAndManagementURLFromTheEnvironment() throws {
        let yaml = Self.base + """

            ops: {metrics_host: "${HOST:-127.0.0.1}", metrics_port: "${PORT:-0}", management_url: "http://admin:secret@rabbit:15672"}
            """
        let config = try PipelineConfig.parse(yaml: yaml, environment: ["PORT": "9464", "HOST": "0.0.0.0"])
        #expect(config.ops.metricsPort == 9464)
        #expect(config.ops.metricsHost == "0.0.0.0")
        #expect("\(config.ops.managementURL)" == "http://admin:***@rabbit:15672", "the password is never printed")
    }

    @Test func badOpsValuesNameTheirKey() {
        #expect {
            _ = try PipelineConfig.parse(yaml: Self.base + "\nops: {metrics_port: 70000}")
        } throws: { error in "\(error)".contains("ops.metrics_port") }
        #expect {
            _ = try PipelineConfig.parse(yaml: Self.base + "\nops: {management_url: \"amqp://x\"}")
        } throws: { error in "\(error)".contains("ops.management_url") }
        #expect {
            _ = try PipelineConfig.parse(yaml: Self.base + "\nops: {metrics_prot: 1}")
        } throws: { error in "\(error)".contains("metrics_prot") }
    }

    @Test func vhostComesFromTheAMQPURL() {
        #expect(ManagementAPIClient.vhost(ofAMQPURL: "amqp://u:p@h:5672/tierflow") == "tierflow")
        #expect(ManagementAPIClient.vhost(ofAMQPURL: "amqp://u:p@h:5672") == "/")
        #expect(ManagementAPIClient.vhost(ofAMQPURL: "amqp://u:p@h:5672/%2F") == "/")
    }

    @Test func theScreenShowsEverySection() {
        let snapshot = StatusSnapshot(
            namespace: "tierflow", generatedAt: Date(timeIntervalSince1970: 0), windowSeconds: 900,
            queues: [.init(stage: "tier", tier: "edge", name: "tierflow.tier.edge", ready: 12, unacknowledged: 32, consumers: 3, inRate: 40, outRate: 38.5)],
            queueSource: "management", results: 100, throughputLastMinute: 1.5, throughputWindow: 0.11,
            tierMix: [.init(layer: 0, tier: "", count: 25, share: 0.25), .init(layer: 1, tier: "edge", count: 75, share: 0.75)],
            p50Ms: 812, p99Ms: 4210, hops: [.init(stage: "tier", tier: "edge", count: 75, p50Ms: 250, p99Ms: 600)],
            escalationRate: 0.18, lowConfidence: 3, deadLetters: 1, spentTodayUSD: 5, dailyBudgetUSD: 20)
        let screen = StatusScreen.render(snapshot)
        #expect(screen.contains("tier edge"))
        #expect(screen.contains("layer0 25.0% (25)   edge 75.0% (75)"))
        #expect(screen.contains("p50 812 ms  p99 4.21 s"))
        #expect(screen.contains("18.0% of results escalated"))
        #expect(screen.contains("$5.0000 of $20.00 budget (25.0%) [#####...............]"))
    }

    @Test func recordedMetricsReachTheRegistry() {
        let registry = MetricsBootstrap.once()
        #expect(MetricsBootstrap.once() === registry, "bootstrapped once per process")
        let stage = StageMetrics(stage: "unit", tier: "edge")
        stage.received()
        stage.finished(.ok, since: .now)
        stage.received()
        let backend = BackendMetrics(tier: "unit-tier")
        backend.failed(code: "timeout", after: .milliseconds(5))
        backend.failed(code: "timeout", after: nil)
        backend.usage(tokensIn: 10, tokensOut: 5, costUSD: 0.25)
        backend.circuit(.open)
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains(#"tierflow_messages_total{stage="unit",tier="edge",outcome="ok"} 1"#))
        #expect(text.contains(#"tierflow_inflight_deliveries{stage="unit",tier="edge"} 1.0"#))
        #expect(text.contains(#"tierflow_backend_errors_total{tier="unit-tier",code="timeout"} 2"#))
        #expect(text.contains(#"tierflow_tokens_total{tier="unit-tier",direction="in"} 10"#))
        #expect(text.contains(#"tierflow_cost_usd_total{tier="unit-tier"} 0.25"#))
        #expect(text.contains(#"tierflow_circuit_state{tier="unit-tier"} 2.0"#))
    }

    @Test func recordingADeliveryIsCheap() {
        // What a stage runner records per delivery (in-flight up and down, outcome counter, hop histogram) plus
        // an evaluator's decision metrics, against the Prometheus backend.
        MetricsBootstrap.once()
        let stage = StageMetrics(stage: "cost", tier: "edge")
        let decisions = DecisionMetrics()
        let rounds = 50_000
        // CPU time of this thread, so time spent waiting for a core on a loaded machine does not count.
        func threadCPUNanoseconds() -> Double {
            var spec = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
            return Double(spec.tv_sec) * 1e9 + Double(spec.tv_nsec)
        }
        let before = threadCPUNanoseconds()
        for _ in 0..<rounds {
            let start = ContinuousClock.now
            stage.received()
            decisions.scored(tier: "edge", confidence: 0.8)
            decisions.finalised(layer: 1, tier: "edge", endedBy: "accepted", latencyMs: 12)
            stage.finished(.ok, since: start)
        }
        let perDelivery = (threadCPUNanoseconds() - before) / Double(rounds)
        print(String(format: "metrics per delivery: %.0f ns of CPU (this build)", perDelivery))
        // A 1,000 queries/s pipeline has 1 ms per message per process; metrics must be a small part of it.
        #expect(perDelivery < 50_000)
    }
}
