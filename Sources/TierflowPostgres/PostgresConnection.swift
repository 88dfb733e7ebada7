import Logging

/// One PostgreSQL connection on its own dedicated thread; every call is a parameterised statement run there.
///
/// Calls are served in order. If the connection is lost, the next call reconnects (no more often than the
/// configuration's backoff allows); a statement that was running when it dropped throws a retryable
/// ``PostgresError`` with code ``PostgresError/Code/connectionLost`` and is not retried here.
public final class PostgresConnection: Sendable, CustomStringConvertible {
    private let thread: PostgresThread
    private let logger: Logger
    /// The configuration's redacted description (no password).
    public let description: String

    private init(configuration: PostgresConfiguration, logger: Logger) {
        self.thread = PostgresThread(
            name: "pg-connection", configuration: configuration, logger: logger)
        self.logger = logger
        self.description = configuration.description
    }

    deinit { thread.closeSoon() }

    /// Opens a connection; throws ``PostgresError`` (`authenticationFailed`, `connectionFailed`) if it cannot.
    public static func connect(configuration: PostgresConfiguration, logger: Logger) async throws -> PostgresConnection {
        let connection = PostgresConnection(configuration: configuration, logger: logger)
        do {
            try await connection.thread.run { session in try session.ensureConnected(force: true) }
        } catch {
            await connection.close()
            throw error
        }
        return connection
    }

    /// Runs one statement and returns its rows.
    public func query(_ sql: String, _ parameters: [PostgresValue] = []) async throws -> PostgresRows {
        try Task.checkCancellation()
        return try await thread.run { session in try session.execute(sql, parameters) }
    }

    /// Runs one statement and returns the number of rows it affected.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [PostgresValue] = []) async throws -> Int {
        try await query(sql, parameters).affectedRows
    }

    /// Runs `statements` in one transaction (BEGIN ... COMMIT on the connection's thread); if any fails,
    /// rolls back and throws. Returns each statement's rows.
    public func transaction(_ statements: [PostgresStatement]) async throws -> [PostgresRows] {
        try Task.checkCancellation()
        return try await thread.run { session in
            try session.transaction { try statements.map { try session.execute($0.sql, $0.parameters) } }
        }
    }

    /// Runs a multi-statement SQL script with the simple query protocol (`PQexec`), without parameters.
    ///
    /// Only for trusted SQL that ships with the program (migration files, fixed maintenance scripts): nothing
    /// in `script` may come from input. Everything else goes through ``query(_:_:)``.
    public func simpleExecute(_ script: String) async throws {
        try Task.checkCancellation()
        _ = try await thread.run { session in try session.executeScript(script) }
    }

    /// Sends a notification on `channel` (`SELECT pg_notify($1, $2)`); delivered when the transaction commits.
    public func notify(channel: String, payload: String) async throws {
        try await execute("SELECT pg_notify($1, $2)", [.string(channel), .string(payload)])
    }

    /// Closes the connection after the calls already queued; later calls throw `connectionClosed`.
    public func close() async {
        await thread.close()
    }

    /// Runs `body` on the connection's thread with exclusive use of the session (for this module's types).
    func withSession<T: Sendable>(_ body: @escaping @Sendable (PostgresSession) throws -> T) async throws -> T {
        try await thread.run(body)
    }
}
