import Foundation
import Logging
import Testing

@testable import TierflowAMQP

/// The real broker started by `scripts/services.sh`; tests using it are gated on `TIERFLOW_LIVE_TESTS=1`.
enum LiveBroker {
    static let enabled = ProcessInfo.processInfo.environment["TIERFLOW_LIVE_TESTS"] == "1"

    /// The least-privilege worker user's endpoint, with a unique connection name.
    static func worker(_ role: String) throws -> AMQPEndpoint {
        let url = try #require(ProcessInfo.processInfo.environment["TIERFLOW_AMQP_URL"], "eval \"$(scripts/services.sh env)\"")
        return try AMQPEndpoint(url: url, connectionName: uniqueName("conn.\(role)"))
    }

    static func admin() throws -> AMQPEndpoint {
        let url = try #require(ProcessInfo.processInfo.environment["TIERFLOW_AMQP_ADMIN_URL"])
        return try AMQPEndpoint(url: url, connectionName: uniqueName("conn.admin"))
    }

    /// `tierflow.test.<what>.<random>`: the worker user may use it, and parallel runs do not collide.
    static func uniqueName(_ what: String) -> String {
        "tierflow.test.\(what).\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
    }

    static let logger: Logger = {
        var logger = Logger(label: "tierflow.amqp.tests", factory: { label in StreamLogHandler.standardError(label: label) })
        logger.logLevel = .warning
        return logger
    }()

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Runs `scripts/services.sh rabbitmqctl ARGS` and returns its standard output.
    static func rabbitmqctl(_ arguments: [String]) async throws -> String {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("rabbitmqctl-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let process = Process()
        process.executableURL = repository.appendingPathComponent("scripts/services.sh")
        process.arguments = ["rabbitmqctl"] + arguments
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = process.standardOutput
        let status: Int32 = try await withCheckedThrowingContinuation { done in
            process.terminationHandler = { done.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { done.resume(throwing: error) }
        }
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        try #require(status == 0, "rabbitmqctl \(arguments) failed: \(text)")
        return text
    }

    /// Closes the broker connection whose client property `connection_name` is `name`, as an operator would.
    static func closeConnection(named name: String) async throws {
        let listing = try await rabbitmqctl(["-q", "--no-table-headers", "list_connections", "pid", "client_properties"])
        let line = try #require(
            listing.split(separator: "\n").first { $0.contains("\"\(name)\"") }, "no connection named \(name)")
        let pid = String(try #require(line.split(separator: "\t").first))  // close_connection takes the pid
        _ = try await rabbitmqctl(["close_connection", pid, "tierflow test: simulated broker-side close"])
    }

    /// The broker's count of delivered, not yet settled messages of `queue` (`rabbitmqctl list_queues`).
    static func unacknowledgedCount(ofQueue queue: String) async throws -> Int? {
        let vhost = try worker("vhost").virtualHost
        let listing = try await rabbitmqctl([
            "-q", "--no-table-headers", "list_queues", "-p", vhost, "name", "messages_unacknowledged",
        ])
        for line in listing.split(separator: "\n") {
            let fields = line.split(separator: "\t")
            if fields.count == 2, fields[0] == queue { return Int(fields[1]) }
        }
        return nil
    }

    /// Runs `body`, then deletes the queues and exchanges whether it succeeded or not.
    static func withCleanup<T>(
        queues: [String], exchanges: [String] = [], _ body: () async throws -> T
    ) async throws -> T {
        let result: Result<T, any Error>
        do { result = .success(try await body()) } catch { result = .failure(error) }
        let inspector = try await AMQPQueueInspector(endpoint: try admin(), logger: logger)
        for queue in queues { try? await inspector.deleteQueue(queue) }
        for exchange in exchanges { try? await inspector.deleteExchange(exchange) }
        await inspector.close()
        return try result.get()
    }

    /// Polls `condition` every 50 ms until it holds or `timeout` passes.
    static func eventually(timeout: Duration = .seconds(20), _ condition: () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            if ContinuousClock.now >= deadline { return false }
            try await Task.sleep(for: .milliseconds(50))
        }
        return true
    }

    /// Reads `value` until `done` holds for it or `timeout` passes, sleeping `interval` between reads; returns
    /// the last value read (broker counts lag, so tests poll them).
    static func polled<T>(
        timeout: Duration = .seconds(20), every interval: Duration = .milliseconds(100),
        until done: (T) -> Bool, _ value: () async throws -> T
    ) async throws -> T {
        let deadline = ContinuousClock.now + timeout
        var current = try await value()
        while !done(current), ContinuousClock.now < deadline {
            try await Task.sleep(for: interval)
            current = try await value()
        }
        return current
    }
}
