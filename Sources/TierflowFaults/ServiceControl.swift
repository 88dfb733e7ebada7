import Foundation

/// Stops, starts and disturbs the suite's own RabbitMQ and PostgreSQL through `scripts/services.sh`.
///
/// The script picks the instance from the environment (`TIERFLOW_STATE_DIR`, the ports and
/// `TIERFLOW_RABBIT_NODE`); `scripts/faults.sh` sets them to the separate fault-injection instance, and
/// ``FaultSuite`` refuses to run against the instance of the shared defaults.
public struct ServiceControl: Sendable {
    /// The path of `scripts/services.sh`.
    public let script: String

    public init(script: String) {
        self.script = script
    }

    /// The output of one run of the script.
    public struct Output: Sendable {
        public var status: Int32
        public var text: String
    }

    /// Runs `services.sh ARGS`; throws when it fails or outlives `limit`.
    @discardableResult
    public func run(_ arguments: [String], limit: Duration = .seconds(180)) async throws -> String {
        let output = try await Self.execute(["bash", script] + arguments, limit: limit)
        guard output.status == 0 else {
            throw FaultSuiteError("services.sh \(arguments.joined(separator: " ")) failed (\(output.status)): \(output.text.suffix(600))")
        }
        return output.text
    }

    /// `rabbitmqctl ARGS` on the suite's node.
    @discardableResult
    public func rabbitmqctl(_ arguments: [String]) async throws -> String {
        try await run(["rabbitmqctl"] + arguments, limit: .seconds(60))
    }

    public func stopRabbitMQ() async throws { try await run(["stop-rabbitmq"]) }
    public func startRabbitMQ() async throws { try await run(["start-rabbitmq"]) }
    public func stopPostgres() async throws { try await run(["stop-postgres"]) }
    public func startPostgres() async throws { try await run(["start-postgres"]) }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), which the Swift module does not import.
    private static let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    /// Runs a command (through `/usr/bin/env`), collecting standard output and error; kills it after `limit`.
    ///
    /// Spawned with `posix_spawn` and reaped with `waitpid`, not with Foundation's `Process`: that one learns
    /// of the exit through a descriptor the child inherits, and a server the command starts in the
    /// background (the postmaster, the Erlang VM) keeps it open, so the command would never seem to end.
    /// For the same reason output goes to a temporary file rather than a pipe, and every descriptor above 2 is
    /// closed in the child.
    static func execute(_ command: [String], limit: Duration) async throws -> Output {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tierflow-faults-\(UUID().uuidString).out").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else of this process (broker and database sockets, other children's pipes) may live on in
        // a server the command starts.
        if let closeFrom = Self.addCloseFrom {
            _ = closeFrom(&actions, 3)
        }
        let argv = (["/usr/bin/env"] + command).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, "/usr/bin/env", &actions, nil, argv, environ)
        guard spawned == 0 else { throw FaultSuiteError("cannot run \(command.joined(separator: " ")): error \(spawned)") }
        let deadline = ContinuousClock.now + limit
        var status: Int32 = 0
        while true {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { break }
            if reaped < 0 && errno == ECHILD { break }  // reaped elsewhere: the status is lost, the output tells
            if reaped < 0 && errno != EINTR { throw FaultSuiteError("waitpid failed for \(command.joined(separator: " ")): \(errno)") }
            if ContinuousClock.now >= deadline { kill(pid, SIGKILL) }
            try await Task.sleep(for: .milliseconds(50))
        }
        let exited = (status & 0x7f) == 0
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return Output(status: exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), text: text)
    }
}
