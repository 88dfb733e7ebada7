import Foundation
import Synchronization
import TierflowCore

/// Starts and stops the worker executables as child processes, each with its own log file.
///
/// Used by the live tests, the benchmarks and the fault-injection suite to run the pipeline as it
/// runs in production: separate processes connected by queues.
public final class WorkerProcessGroup: Sendable {
    private let processes = Mutex<[String: Process]>([:])
    private let signalled = Mutex<Set<Int32>>([])
    /// Processes ``crash(_:)`` killed: asked for, so not a failure.
    private let crashedOnPurpose = Mutex<Set<Int32>>([])
    /// Where the executables are.
    public let binDirectory: URL
    /// Where the configuration file and the logs are written.
    public let directory: URL
    /// The configuration file every process reads.
    public let configPath: String
    /// Whether the group made `directory` itself (a fresh temporary directory), and so may delete it.
    private let ownsDirectory: Bool

    /// Writes `configYAML` to `directory` (default: a fresh temporary directory, which
    /// ``removeTemporaryDirectory()`` deletes after a clean run); processes start from `binDirectory`.
    public init(binDirectory: URL, configYAML: String, directory: URL? = nil) throws {
        self.binDirectory = binDirectory
        self.directory = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("tierflow-procs-\(UUID().uuidString)")
        ownsDirectory = directory == nil
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        configPath = self.directory.appendingPathComponent("pipeline.yaml").path
        try configYAML.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// The process id of `name`, while it runs.
    public func processIdentifier(_ name: String) -> Int32? {
        processes.withLock { $0[name] }.flatMap { $0.isRunning ? $0.processIdentifier : nil }
    }

    /// How a process stands.
    public enum Status: Sendable, Hashable {
        case running
        /// Exited with this status.
        case exited(Int32)
        /// Ended by this signal (9 for a crash by SIGKILL).
        case signalled(Int32)
    }

    /// Every process started, by name, and how it stands.
    public var statuses: [String: Status] {
        processes.withLock { $0.mapValues(Self.status) }
    }

    private static func status(of process: Process) -> Status {
        if process.isRunning { return .running }
        return process.terminationReason == .uncaughtSignal
            ? .signalled(process.terminationStatus) : .exited(process.terminationStatus)
    }

    /// Names of the processes still running.
    public var running: [String] { processes.withLock { $0.filter { $0.value.isRunning }.map(\.key).sorted() } }

    /// Starts `tierflow-<executable>` (with `--tier` for workers); returns its name (`worker-edge`, `router`, …).
    /// With `metricsPort` it serves `/metrics`, `/health` and `/ready` there.
    ///
    /// The process inherits this one's environment with `environment` added; `TIERFLOW_FAULT_CRASH` is passed
    /// only when `environment` sets it, so a restarted process is not armed again by accident.
    @discardableResult
    public func start(
        _ executable: String, tier: String? = nil, replica: Int? = nil, logLevel: String = "notice", metricsPort: Int? = nil,
        environment: [String: String] = [:]
    ) throws -> String {
        var name = tier.map { "\(executable)-\($0)" } ?? executable
        if let replica { name += "-\(replica)" }
        let process = Process()
        process.executableURL = binDirectory.appendingPathComponent("tierflow-\(executable)")
        process.arguments = ["--config", configPath, "--log-level", logLevel] + (tier.map { ["--tier", $0] } ?? [])
            + (metricsPort.map { ["--metrics-port", String($0)] } ?? [])
        var inherited = ProcessInfo.processInfo.environment
        inherited.removeValue(forKey: FaultInjection.variable)
        process.environment = inherited.merging(environment) { $1 }
        let log = directory.appendingPathComponent("\(name).log")
        if !FileManager.default.fileExists(atPath: log.path) {
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)  // a restarted process appends
        }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        processes.withLock { $0[name] = process }
        return name
    }

    /// Sends SIGTERM (once) and waits for the exit status (SIGKILL and -9 after `limit`).
    public func terminate(_ name: String, within limit: Duration) async throws -> Int32 {
        guard let process = processes.withLock({ $0[name] }) else { return -1 }
        if !process.isRunning { return process.terminationStatus }
        signalOnce(process)
        let deadline = ContinuousClock.now + limit
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            return -9
        }
        return process.terminationStatus
    }

    /// Kills `name` with SIGKILL at once (a crash).
    public func crash(_ name: String) {
        guard let process = processes.withLock({ $0[name] }), process.isRunning else { return }
        crashedOnPurpose.withLock { _ = $0.insert(process.processIdentifier) }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Sends SIGTERM to every process and waits for them; returns the exit statuses.
    public func terminateAll(within limit: Duration) async throws -> [String: Int32] {
        let names = processes.withLock { Array($0.keys) }
        for process in processes.withLock({ Array($0.values) }) where process.isRunning { signalOnce(process) }
        var statuses: [String: Int32] = [:]
        for name in names { statuses[name] = try await terminate(name, within: limit) }
        return statuses
    }

    /// A second SIGTERM during a drain would end the process at once: send it only once.
    private func signalOnce(_ process: Process) {
        let first = signalled.withLock { $0.insert(process.processIdentifier).inserted }
        if first { process.terminate() }
    }

    /// SIGKILLs whatever still runs.
    public func killAll() {
        for process in processes.withLock({ Array($0.values) }) where process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        }
    }

    /// Deletes the directory, with the logs and the configuration file in it, if the group made it and every
    /// process it started has stopped as asked (status 0, SIGTERM, or ``crash(_:)``); returns whether it did.
    ///
    /// A directory the caller named is left alone, and so is one whose processes still run, failed, or had to
    /// be killed: their logs are what explains it.
    @discardableResult
    public func removeTemporaryDirectory() -> Bool {
        let crashed = crashedOnPurpose.withLock { $0 }
        let stoppedAsAsked = processes.withLock { processes in
            processes.values.allSatisfy { process in
                switch Self.status(of: process) {
                // SIGTERM before a process installs its handlers ends it with that signal: a stop, not a failure.
                case .exited(0), .signalled(SIGTERM): true
                case .signalled: crashed.contains(process.processIdentifier)
                case .running, .exited: false
                }
            }
        }
        guard ownsDirectory, stoppedAsAsked else { return false }
        return (try? FileManager.default.removeItem(at: directory)) != nil
    }

    /// The log of `name` so far.
    public func log(_ name: String) -> String {
        (try? String(contentsOf: directory.appendingPathComponent("\(name).log"), encoding: .utf8)) ?? ""
    }

    /// A configuration file equivalent to `config`, with every tier on the simulated backend.
    public static func simulatedYAML(for config: PipelineConfig) -> String {
        var lines = [
            "namespace: \(config.namespace)",
            "broker: {url: \"\(config.broker.url.value)\", admin_url: \"\(config.broker.adminURL.value)\", confirm_window: \(config.broker.confirmWindow)}",
            "database: {url: \"\(config.database.url.value)\", owner_url: \"\(config.database.ownerURL.value)\", max_batch: \(config.database.maxBatch)}",
            "queues: {prefetch: \(config.queues.prefetch), delivery_limit: \(config.queues.deliveryLimit), max_message_bytes: \(config.queues.maxMessageBytes)}",
            "ingest: {flood_window_seconds: \(config.ingest.floodWindowSeconds), default_deadline_seconds: \(config.ingest.defaultDeadlineSeconds)}",
            "layer0: {enabled: \(config.layer0.enabled)}",
            "router: {quality_target: \(config.router.qualityTarget)}",
            "evaluator: {max_cost_per_query_usd: \(config.evaluator.maxCostPerQueryUSD)}",
            "tiers:",
        ]
        for tier in config.tiers {
            lines.append(
                "  - {name: \(tier.name), backend: simulated, model: \(tier.model), price: {input: \(tier.price.inputPerMillion), output: \(tier.price.outputPerMillion)}, max_concurrency: \(tier.maxConcurrency), confidence_threshold: \(tier.confidenceThreshold), simulated: {skill: \(tier.simulation.skill), latency_ms: \(tier.simulation.latencyMilliseconds)}}"
            )
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
