/// An error from the PostgreSQL adapter: a ``Code``, a human message, the server's SQLSTATE when there is
/// one, and context (statement, file, line). Messages never contain the connection password.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case connectionFailed, authenticationFailed, connectionLost, connectionClosed
            case serverError, decodingFailed, columnNotFound
            case migrationFailed, migrationChecksumMismatch, invalidMigration
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The server could not be reached or refused the connection (retryable).
        public static let connectionFailed = Code(.connectionFailed)
        /// The server rejected the credentials (not retryable; fix the configuration).
        public static let authenticationFailed = Code(.authenticationFailed)
        /// The connection dropped before or while a statement ran; it was not committed (retryable).
        /// If it dropped during `COMMIT` the outcome is unknown: retry only idempotent work.
        public static let connectionLost = Code(.connectionLost)
        /// The connection, writer or listener was closed by its owner.
        public static let connectionClosed = Code(.connectionClosed)
        /// The server rejected a statement; see ``PostgresError/sqlState``.
        public static let serverError = Code(.serverError)
        /// A value could not be decoded as the requested type.
        public static let decodingFailed = Code(.decodingFailed)
        /// A row has no column of the requested name.
        public static let columnNotFound = Code(.columnNotFound)
        /// A migration file failed to apply; nothing of the run was committed.
        public static let migrationFailed = Code(.migrationFailed)
        /// An applied migration file changed on disk.
        public static let migrationChecksumMismatch = Code(.migrationChecksumMismatch)
        /// A migration file or directory is unusable (bad name, duplicate version, unreadable).
        public static let invalidMigration = Code(.invalidMigration)

        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public var code: Code
    /// A human-readable message (for server errors: the server's primary message).
    public var message: String
    /// The five-character SQLSTATE, for server errors (e.g. `42501` insufficient_privilege).
    public var sqlState: String?
    /// The server's DETAIL and HINT, when given.
    public var detail: String?
    /// Extra facts: `db.statement`, `migration.file`, `migration.line`, ...
    public var context: [String: String]

    /// Creates an error.
    public init(
        code: Code, message: String, sqlState: String? = nil, detail: String? = nil, context: [String: String] = [:]
    ) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
        self.context = context
    }

    /// Whether running the same work again later may succeed: connection failures and losses,
    /// serialization failures and deadlocks, server shutdown and resource exhaustion.
    public var isRetryable: Bool {
        if code == .connectionFailed || code == .connectionLost { return true }
        guard code == .serverError, let sqlState else { return false }
        return sqlState == "40001" || sqlState == "40P01" || sqlState.hasPrefix("08")
            || sqlState.hasPrefix("53") || sqlState.hasPrefix("57P")
    }

    /// Whether the server refused a row because its key is already stored (`unique_violation`, 23505).
    public var isUniqueViolation: Bool { code == .serverError && sqlState == "23505" }

    public var description: String {
        var text = "PostgresError(\(code)"
        if let sqlState { text += ", sqlstate \(sqlState)" }
        text += "): \(message)"
        if let detail { text += " (\(detail))" }
        for key in context.keys.sorted() where key != "db.statement" {
            text += " [\(key)=\(context[key]!)]"
        }
        return text
    }
}
