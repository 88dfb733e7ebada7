import Foundation
import Testing
import TierflowCore
import TierflowOps

extension OpsLiveTests {
    /// `tierflow status` against the live broker (management API) and database, with a small pipeline running.
    @Suite("tierflow status")
    struct StatusCommandTests {
        /// The management API of the test broker (scripts/services.sh: port 15699, the admin user).
        static var managementURL: String {
            ProcessInfo.processInfo.environment["TIERFLOW_AMQP_MANAGEMENT_URL"]
                ?? "http://tierflow_admin:tierflow-admin-dev@127.0.0.1:\(ProcessInfo.processInfo.environment["TIERFLOW_AMQP_MGMT_PORT"] ?? "15699")"
        }

        static func runStatus(_ configPath: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
            let process = Process()
            process.executableURL = WorkerBinaries.directory.appendingPathComponent("tierflow")
            process.arguments = ["status", "--config", configPath] + arguments
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: data, as: UTF8.self))
        }

        @Test func showsQueuesThroughputTierMixLatencyAndSpend() async throws {
            let pipeline = try await OpsPipeline(extra: "ops: {management_url: \"\(Self.managementURL)\"}")
            try pipeline.startAll(edgeReplicas: 2, metrics: false)
            try await Task.sleep(for: .seconds(1))
            let ids = try await pipeline.publish(50)
            let answered = try await pipeline.waitForResults(ids, timeout: .seconds(60))
            let configPath = pipeline.processes.configPath
            // The management API refreshes consumer counts every few seconds.
            var snapshot: StatusSnapshot?
            for _ in 0..<40 {
                let json = try Self.runStatus(configPath, ["--json", "--window", "5"])
                #expect(json.status == 0, "\(json.output)")
                let decoder = JSONDecoder()
                decoder.dateDecodingStrategy = .iso8601
                snapshot = try? decoder.decode(StatusSnapshot.self, from: Data(json.output.utf8))
                // The management API refreshes its figures every few seconds: wait for the settled state.
                if let s = snapshot, s.queues.first(where: { $0.tier == "edge" })?.consumers == 2,
                    s.queues.first(where: { $0.tier == "gpu" })?.consumers == 1, s.queues.allSatisfy({ $0.ready == 0 })
                {
                    break
                }
                try await Task.sleep(for: .milliseconds(500))
            }
            let screen = try Self.runStatus(configPath, ["--window", "5"])
            _ = await pipeline.stop()

            #expect(answered == ids.count)
            let s = try #require(snapshot)
            #expect(s.namespace == pipeline.config.namespace)
            #expect(s.queueSource == "management")
            #expect(s.queues.map(\.stage).filter { !$0.hasSuffix("(batch)") } == ["layer0", "router", "tier", "tier", "tier", "evaluator", "dead"])
            #expect(s.queues.contains { $0.stage == "tier (batch)" && $0.tier == "edge" && $0.name == pipeline.config.namespace + ".batch.tier.edge" })
            #expect(s.queues.first { $0.tier == "edge" }?.consumers == 2, "two edge replicas consume")
            #expect(s.queues.first { $0.tier == "gpu" }?.consumers == 1)
            #expect(s.queues.allSatisfy { $0.ready == 0 }, "everything was answered: no queue holds messages")
            // The tables are shared by every namespace: at least this run's results are counted.
            #expect(s.results >= ids.count)
            #expect(s.throughputLastMinute > 0)
            #expect(s.tierMix.contains { $0.tier == "edge" && $0.count > 0 })
            #expect(abs(s.tierMix.map(\.share).reduce(0, +) - 1) < 1e-9, "shares add up to 1")
            #expect(s.p99Ms >= s.p50Ms && s.p50Ms > 0)
            #expect(s.hops.contains { $0.stage == "tier" && $0.tier == "edge" && $0.count >= ids.count && $0.p99Ms >= $0.p50Ms })
            #expect(s.spentTodayUSD > 0 && s.dailyBudgetUSD == 40)
            #expect(screen.status == 0)
            for heading in ["QUEUES", "THROUGHPUT", "TIER MIX", "LATENCY", "ESCALATION", "SPEND TODAY", "of $40.00 budget"] {
                #expect(screen.output.contains(heading), "the screen shows \(heading)")
            }
        }

        @Test func watchRedrawsUntilInterrupted() async throws {
            let pipeline = try await OpsPipeline()
            let process = Process()
            process.executableURL = WorkerBinaries.directory.appendingPathComponent("tierflow")
            process.arguments = ["status", "--config", pipeline.processes.configPath, "--watch", "--interval", "0.3"]
            let output = pipeline.processes.directory.appendingPathComponent("status-watch.out")
            _ = FileManager.default.createFile(atPath: output.path, contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: output)
            try process.run()
            // Each screen is written at once; wait for a third one (a loaded machine may take seconds per screen).
            var text = "", screens = 0
            for _ in 0..<300 where screens < 3 {
                try await Task.sleep(for: .milliseconds(100))
                text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
                screens = text.components(separatedBy: "\u{1B}[H\u{1B}[2J").count - 1
            }
            process.interrupt()
            process.waitUntilExit()
            _ = await pipeline.stop()
            #expect(screens >= 3, "redrawn until interrupted: \(screens) screens")
            #expect(text.contains("(queue figures from AMQP"), "without ops.management_url it falls back to AMQP")
        }
    }
}
