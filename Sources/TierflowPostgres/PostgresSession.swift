import CLibPQ
import Foundation
import Logging

/// The libpq connection of one ``PostgresThread``. Not `Sendable`: created, used and freed on that thread only.
///
/// Before each statement it checks the connection (reading anything the server sent while idle, such as a
/// termination notice) and reconnects if it is gone, at most as often as the backoff allows. A statement that
/// fails because the connection dropped throws ``PostgresError/Code/connectionLost``; it is never retried here.
final class PostgresSession {
    let configuration: PostgresConfiguration
    let logger: Logger
    private let onConnectionChange: @Sendable (Bool) -> Void
    private(set) var connection: OpaquePointer?
    private var isConnected = false
    private var isClosed = false
    /// Inside `transaction`: a lost connection must fail the transaction, never be replaced mid-way.
    private var isInTransactionBlock = false
    private var reconnectAttempt = 0
    private var nextConnectAllowed = ContinuousClock.now
    private var lastConnectError: PostgresError?
    private var preparedStatements: [PreparedKey: String] = [:]
    private var preparedCounter = 0
    /// Incremented on every successful connect; lets LISTEN state notice a reconnect.
    private(set) var connectionGeneration = 0

    private struct PreparedKey: Hashable {
        var sql: String
        var types: [UInt32]
    }

    init(configuration: PostgresConfiguration, logger: Logger, onConnectionChange: @escaping @Sendable (Bool) -> Void) {
        self.configuration = configuration
        self.logger = logger
        self.onConnectionChange = onConnectionChange
    }

    deinit { if let connection { PQfinish(connection) } }

    /// The connection's socket, or -1 when not connected.
    var socket: Int32 { connection.map { PQsocket($0) } ?? -1 }

    /// Whether a transaction block is open (`PQtransactionStatus` is not idle).
    var isInTransaction: Bool { connection.map { PQtransactionStatus($0) != PQTRANS_IDLE } ?? false }

    /// The raw handle, for code on this thread that needs libpq calls not wrapped here (LISTEN, COPY).
    var rawConnection: OpaquePointer? { connection }

    /// Closes the connection; later calls throw `connectionClosed`.
    func close() {
        isClosed = true
        dropConnection()
    }

    /// Connects if not connected (no-op otherwise). Respects the reconnect backoff unless `force`.
    func ensureConnected(force: Bool = false) throws {
        guard !isClosed else { throw PostgresError(code: .connectionClosed, message: "connection is closed") }
        if let connection {
            // Read whatever arrived while idle: a terminated backend shows up here, before we send anything.
            // Twice: the first read may return the FATAL message, only the second sees the end of stream.
            if PQconsumeInput(connection) == 1, PQconsumeInput(connection) == 1,
               PQstatus(connection) == CONNECTION_OK { return }
            dropConnection()
            if isInTransactionBlock {
                throw PostgresError(
                    code: .connectionLost, message: "connection lost inside a transaction; nothing was committed")
            }
            logger.warning("postgres connection lost while idle; reconnecting", metadata: ["db.url": "\(configuration)"])
        } else if isInTransactionBlock {
            throw PostgresError(code: .connectionLost, message: "connection lost inside a transaction; nothing was committed")
        }
        let now = ContinuousClock.now
        if !force, now < nextConnectAllowed, let lastConnectError {
            var error = lastConnectError
            error.context["db.retry_in_ms"] = "\(Int(PostgresConfiguration.Backoff.seconds(nextConnectAllowed - now) * 1000))"
            throw error
        }
        do {
            try connect()
            reconnectAttempt = 0
            lastConnectError = nil
        } catch let error as PostgresError {
            lastConnectError = error
            nextConnectAllowed = ContinuousClock.now + configuration.reconnectBackoff.delay(attempt: reconnectAttempt)
            reconnectAttempt += 1
            throw error
        }
    }

    /// The delay the backoff currently asks for before the next connection attempt.
    var reconnectDelay: Duration { max(.zero, nextConnectAllowed - ContinuousClock.now) }

    private func connect() throws {
        let keywords = ["dbname", "application_name", "connect_timeout", "client_encoding"]
        let values = [configuration.url, configuration.applicationName,
                      String(max(2, configuration.connectTimeoutSeconds)), "UTF8"]
        let handle = withCStrings(keywords) { keywordPointers in
            withCStrings(values) { valuePointers in PQconnectdbParams(keywordPointers, valuePointers, 1) }
        }
        guard let handle, PQstatus(handle) == CONNECTION_OK else {
            let raw = handle.map { String(cString: PQerrorMessage($0)) } ?? "out of memory"
            if let handle { PQfinish(handle) }
            let message = configuration.redacting(raw.trimmingCharacters(in: .whitespacesAndNewlines))
            let isAuthentication = message.contains("authentication failed") || message.contains("no password supplied")
            throw PostgresError(
                code: isAuthentication ? .authenticationFailed : .connectionFailed, message: message,
                sqlState: isAuthentication ? "28P01" : nil, context: ["db.url": configuration.description])
        }
        connection = handle
        connectionGeneration += 1
        // Server notices (and a FATAL read while idle) go to the logger instead of stderr.
        PQsetNoticeProcessor(handle, { context, message in
            guard let context, let message else { return }
            let session = Unmanaged<PostgresSession>.fromOpaque(context).takeUnretainedValue()
            let text = String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
            session.logger.debug("postgres notice", metadata: ["db.notice": "\(session.configuration.redacting(text))"])
        }, Unmanaged.passUnretained(self).toOpaque())
        // Fixed session settings so text values decode the same way everywhere. Trusted constant SQL.
        let result = PQexec(handle, "SET DateStyle = 'ISO, YMD'; SET TimeZone = 'UTC'; SET extra_float_digits = 3")
        defer { PQclear(result) }
        guard PQresultStatus(result) == PGRES_COMMAND_OK else { throw error(from: result, sql: "SET ...") }
        if !isConnected {
            isConnected = true
            onConnectionChange(true)
        }
        logger.debug("postgres connected", metadata: ["db.url": "\(configuration)"])
    }

    private func dropConnection() {
        if let connection { PQfinish(connection) }
        connection = nil
        preparedStatements.removeAll()
        if isConnected {
            isConnected = false
            onConnectionChange(false)
        }
    }

    // MARK: Statements

    /// Runs one parameterised statement. With `prepare` (the default) it is prepared once per connection and
    /// cached by SQL text and parameter types; pass false for SQL that varies (sized multi-row VALUES).
    func execute(_ sql: String, _ parameters: [PostgresValue], prepare: Bool = true) throws -> PostgresRows {
        try ensureConnected()
        guard let connection else { throw PostgresError(code: .connectionLost, message: "not connected") }
        let encoded = EncodedParameters(parameters)
        defer { encoded.deallocate() }
        let name = prepare ? try preparedName(for: sql, types: encoded.types, connection: connection) : nil
        let result = encoded.withPointers { types, values, lengths, formats in
            if let name {
                PQexecPrepared(connection, name, Int32(parameters.count), values, lengths, formats, 0)
            } else {
                PQexecParams(connection, sql, Int32(parameters.count), types, values, lengths, formats, 0)
            }
        }
        defer { PQclear(result) }
        return try rows(from: result, sql: sql)
    }

    /// Runs a multi-statement script with the simple query protocol (no parameters). Trusted SQL only.
    @discardableResult
    func executeScript(_ script: String) throws -> PostgresRows {
        try ensureConnected()
        let result = PQexec(connection, script)
        defer { PQclear(result) }
        return try rows(from: result, sql: script)
    }

    /// Runs `body` between BEGIN and COMMIT; rolls back if it throws. Connection loss surfaces as
    /// `connectionLost` (nothing committed, unless the loss hit the COMMIT itself).
    /// A nested call joins the outer transaction.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        if isInTransactionBlock { return try body() }
        try ensureConnected()
        if let connection, PQtransactionStatus(connection) != PQTRANS_IDLE { try executeScript("ROLLBACK") }
        try executeScript("BEGIN")
        isInTransactionBlock = true
        defer { isInTransactionBlock = false }
        do {
            let value = try body()
            let commit = try executeScript("COMMIT")
            guard commit.commandTag == "COMMIT" else {
                throw PostgresError(code: .serverError, message: "transaction was rolled back (\(commit.commandTag))")
            }
            return value
        } catch {
            if let connection, PQstatus(connection) == CONNECTION_OK,
               PQtransactionStatus(connection) != PQTRANS_IDLE {
                let result = PQexec(connection, "ROLLBACK")
                PQclear(result)
            }
            throw error
        }
    }

    /// `COPY ... FROM STDIN` with `data` in COPY text format; returns the number of rows copied.
    func copyIn(_ sql: String, data: [UInt8]) throws -> Int {
        try ensureConnected()
        guard let connection else { throw PostgresError(code: .connectionLost, message: "not connected") }
        let start = PQexec(connection, sql)
        guard PQresultStatus(start) == PGRES_COPY_IN else {
            defer { PQclear(start) }
            throw error(from: start, sql: sql)
        }
        PQclear(start)
        let sent = data.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                PQputCopyData(connection, $0, Int32(buffer.count))
            }
        }
        _ = PQputCopyEnd(connection, sent == 1 ? nil : "client failed to send data")
        var copied = 0
        var failure: PostgresError?
        while let result = PQgetResult(connection) {
            if PQresultStatus(result) == PGRES_COMMAND_OK {
                copied = Int(String(cString: PQcmdTuples(result))) ?? 0
            } else if failure == nil {
                failure = error(from: result, sql: sql)
            }
            PQclear(result)
            // A lost connection is finished by `error(from:)`: its handle must not be read again.
            if self.connection == nil { break }
        }
        if let failure { throw failure }
        return copied
    }

    /// Quotes `identifier` for SQL (`PQescapeIdentifier`).
    func escapeIdentifier(_ identifier: String) throws -> String {
        try ensureConnected()
        guard let connection, let escaped = PQescapeIdentifier(connection, identifier, identifier.utf8.count) else {
            throw PostgresError(code: .serverError, message: "cannot quote identifier")
        }
        defer { PQfreemem(escaped) }
        return String(cString: escaped)
    }

    func preparedName(for sql: String, types: [UInt32], connection: OpaquePointer) throws -> String? {
        let key = PreparedKey(sql: sql, types: types)
        if let name = preparedStatements[key] { return name }
        guard preparedStatements.count < configuration.preparedStatementCacheSize else { return nil }
        preparedCounter += 1
        let name = "tierflow_\(preparedCounter)"
        let result = types.withUnsafeBufferPointer { PQprepare(connection, name, sql, Int32(types.count), $0.baseAddress) }
        defer { PQclear(result) }
        guard PQresultStatus(result) == PGRES_COMMAND_OK else { throw error(from: result, sql: sql) }
        preparedStatements[key] = name
        return name
    }

    // MARK: Results and errors

    func rows(from result: OpaquePointer?, sql: String) throws -> PostgresRows {
        let status = result.map { PQresultStatus($0) } ?? PGRES_FATAL_ERROR
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY,
              let result
        else { throw error(from: result, sql: sql) }
        let rowCount = Int(PQntuples(result))
        let columnCount = Int(PQnfields(result))
        let columns = (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) }
        var values = [String?]()
        values.reserveCapacity(rowCount * columnCount)
        for row in 0..<Int32(rowCount) {
            for column in 0..<Int32(columnCount) {
                values.append(PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column)))
            }
        }
        return PostgresRows(
            columns: columns, values: values, affectedRows: Int(String(cString: PQcmdTuples(result))) ?? 0,
            commandTag: String(cString: PQcmdStatus(result)))
    }

    /// Builds the error for a failed result; drops the connection when it is gone.
    func error(from result: OpaquePointer?, sql: String) -> PostgresError {
        func field(_ code: Character) -> String? {
            guard let result, let value = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
            return String(cString: value)
        }
        let sqlState = field("C")
        var message = field("M")
            ?? result.map { String(cString: PQresultErrorMessage($0)) }.flatMap { $0.isEmpty ? nil : $0 }
            ?? connection.map { String(cString: PQerrorMessage($0)) } ?? "no result"
        message = configuration.redacting(message.trimmingCharacters(in: .whitespacesAndNewlines))
        let detail = [field("D"), field("H").map { "hint: \($0)" }].compactMap { $0 }.joined(separator: "; ")
        var context = ["db.statement": String(sql.prefix(200))]
        if let position = field("P") { context["db.position"] = position }
        let connectionGone = connection.map { PQstatus($0) != CONNECTION_OK } ?? true
        let isLoss = connectionGone || result == nil || (sqlState.map { $0.hasPrefix("08") || $0.hasPrefix("57P") } ?? false)
        if isLoss {
            logger.warning("postgres connection lost", metadata: ["db.error": "\(message)"])
            dropConnection()
        }
        return PostgresError(
            code: isLoss ? .connectionLost : .serverError, message: message, sqlState: sqlState,
            detail: detail.isEmpty ? nil : configuration.redacting(detail), context: context)
    }
}

/// Calls `body` with a NULL-terminated array of C strings.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    let pointers = copies.map { UnsafePointer($0) } + [nil]
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
