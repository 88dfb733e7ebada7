import Foundation
import ServiceLifecycle
import Synchronization
import Testing
import TierflowCore
import TierflowGateway
import TierflowPipeline
import TierflowPostgres

@testable import TierflowServices

/// tierflow-gateway in front of an in-process pipeline, driven by the official `openai` Python client
/// (`Tests/Fixtures/openai_client_test.py`, in the venv `scripts/gateway_client_venv.sh` creates).
@Suite("Gateway with the openai client", .serialized, .enabled(if: liveServices))
struct GatewayLiveTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized

    @Test func openAIClientChatStreamingErrorsAuthAndFeedback() async throws {
        let tiers = """
              - {name: edge, backend: simulated, model: small, price: {input: 0.1, output: 0.2}, confidence_threshold: 0.6, simulated: {skill: 0.9}}
              - {name: gpu, backend: simulated, model: big, price: {input: 0.6, output: 0.8}, confidence_threshold: 0.0, simulated: {skill: 1}}
            """
        let pipeline = try await PipelineHarness.start(
            tiers: tiers, extra: "gateway: {request_timeout_seconds: 20, max_body_bytes: 65536, key_refresh_seconds: 60}")
        let store = PostgresGatewayStore(connection: pipeline.database)
        let main = APIKeyRecord.generate(name: "gateway-test-main", rateLimitPerMinute: 10_000)
        let limited = APIKeyRecord.generate(name: "gateway-test-limited", rateLimitPerMinute: 1)
        let broke = APIKeyRecord.generate(name: "gateway-test-broke", dailyBudgetUSD: 0.000001)
        for key in [main, limited, broke] { try await store.insertKey(key.record) }
        try await store.addSpend([.init(keyId: broke.record.id, day: SpendLedger.day(of: Date()), costUSD: 1, requests: 1)])

        let gateway = try await Gateway.connect(config: pipeline.config, scorer: TransparentScorer(), logger: PipelineHarness.logger)
        let port = Mutex<Int?>(nil)
        let group = ServiceGroup(
            services: gateway.services(port: 0) { bound in port.withLock { $0 = bound } }, logger: PipelineHarness.logger)
        let running = Task { try await group.run() }
        var bound: Int?
        for _ in 0..<100 where bound == nil {
            try await Task.sleep(for: .milliseconds(50))
            bound = port.withLock { $0 }
        }

        var output = ""
        var status: Int32 = -1
        if let bound {
            let python = try await Self.run(Self.repository.appendingPathComponent("scripts/gateway_client_venv.sh").path, [], environment: [:])
            #expect(python.status == 0, "the openai venv is ready: \(python.output)")
            let interpreter = python.output.split(separator: "\n").last.map(String.init) ?? "python3"
            let client = try await Self.run(
                interpreter, [Self.repository.appendingPathComponent("Tests/Fixtures/openai_client_test.py").path],
                environment: [
                    "TIERFLOW_GATEWAY_URL": "http://127.0.0.1:\(bound)/v1", "TIERFLOW_GATEWAY_KEY": main.key,
                    "TIERFLOW_GATEWAY_LIMITED": limited.key, "TIERFLOW_GATEWAY_BROKE": broke.key,
                    "TIERFLOW_GATEWAY_MAX_BODY": String(pipeline.config.gateway.maxBodyBytes),
                ])
            output = client.output
            status = client.status
        }
        let lines = output.split(separator: "\n").map(String.init)
        let queryId = lines.first { $0.hasPrefix("QUERY ") }.map { String($0.dropFirst(6)) }
        let feedbackRows = try await pipeline.count("SELECT count(*)::int AS n FROM feedback WHERE query_id = $1", queryId ?? "-")
        let kbRows = try await pipeline.count(
            "SELECT count(*)::int AS n FROM kb_entries WHERE derived_from = $1 AND kind = 'kb'", queryId ?? "-")

        await group.triggerGracefulShutdown()
        _ = try? await running.value
        await gateway.close()
        for key in [main, limited, broke] {
            _ = try? await pipeline.database.execute("DELETE FROM api_keys WHERE id = $1", [.string(key.record.id)])
            _ = try? await pipeline.database.execute("DELETE FROM api_key_spend WHERE key_id = $1", [.string(key.record.id)])
            _ = try? await pipeline.database.execute("DELETE FROM idempotency_keys WHERE key_id = $1", [.string(key.record.id)])
            _ = try? await pipeline.database.execute("DELETE FROM rate_limit_buckets WHERE key_id = $1", [.string(key.record.id)])
        }
        _ = try? await pipeline.database.execute("DELETE FROM kb_entries WHERE derived_from = $1", [.string(queryId ?? "-")])
        await pipeline.stop()

        #expect(bound != nil, "the gateway listens")
        for line in lines where line.hasPrefix("FAIL ") { Issue.record("openai client: \(line)") }
        #expect(lines.contains("SUMMARY ok=14 failed=0"), "every client check ran and passed:\n\(output)")
        #expect(status == 0, "the client script exits 0:\n\(output)")
        #expect(feedbackRows == 1, "the feedback row is stored")
        #expect(kbRows == 1, "the correction became a knowledge-base entry")
    }

    /// Runs a program without blocking the cooperative pool; returns its exit status and output (stdout + stderr).
    static func run(_ executable: String, _ arguments: [String], environment: [String: String]) async throws -> (status: Int32, output: String) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("tierflow-gw-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let handle = try FileHandle(forWritingTo: log)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : "/usr/bin/env")
        process.arguments = executable.hasPrefix("/") ? arguments : [executable] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = handle
        process.standardError = handle
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        try? handle.close()
        return (status, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }
}
