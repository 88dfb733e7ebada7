import CLibPQ

/// One statement of ``PostgresSession/executeAtomically(_:)``.
struct PostgresStatementCall {
    var sql: String
    var parameters: [PostgresValue]
    /// Prepared once per connection and cached (see ``PostgresSession/execute(_:_:prepare:)``).
    var prepare: Bool = true
}

extension PostgresSession {
    /// Runs `statements` as ONE transaction in one round trip, and returns each one's rows in order.
    ///
    /// The statements go out in libpq pipeline mode followed by a single Sync, so the server runs them in one
    /// implicit transaction: it commits at the Sync (waiting for the WAL flush, as COMMIT does) if every
    /// statement succeeded, and rolls all of them back otherwise. That replaces BEGIN, the statements and
    /// COMMIT — each a round trip, each a wake-up of this thread and of the server — with one exchange.
    /// Errors are those of ``execute(_:_:prepare:)``; a lost connection throws `connectionLost` and, as with a
    /// COMMIT cut off in flight, the outcome is then unknown to the caller.
    func executeAtomically(_ statements: [PostgresStatementCall]) throws -> [PostgresRows] {
        if statements.count == 1 {
            // A single statement is its own transaction.
            return [try execute(statements[0].sql, statements[0].parameters, prepare: statements[0].prepare)]
        }
        try ensureConnected()
        guard let connection else { throw PostgresError(code: .connectionLost, message: "not connected") }
        if PQtransactionStatus(connection) != PQTRANS_IDLE { try executeScript("ROLLBACK") }
        let encoded = statements.map { EncodedParameters($0.parameters) }
        defer { encoded.forEach { $0.deallocate() } }
        // Statements are prepared before entering pipeline mode (PQprepare is synchronous).
        var names: [String?] = []
        for (statement, parameters) in zip(statements, encoded) {
            names.append(statement.prepare ? try preparedName(for: statement.sql, types: parameters.types, connection: connection) : nil)
        }

        guard PQenterPipelineMode(connection) == 1 else { throw error(from: nil, sql: "pipeline mode") }
        for index in statements.indices {
            let count = Int32(statements[index].parameters.count)
            let sent = encoded[index].withPointers { types, values, lengths, formats in
                if let name = names[index] {
                    PQsendQueryPrepared(connection, name, count, values, lengths, formats, 0)
                } else {
                    PQsendQueryParams(connection, statements[index].sql, count, types, values, lengths, formats, 0)
                }
            }
            guard sent == 1 else { throw abandonPipeline(sql: statements[index].sql) }
        }
        guard PQpipelineSync(connection) == 1 else { throw abandonPipeline(sql: "sync") }

        var results: [PostgresRows] = []
        var failure: PostgresError?
        for statement in statements {
            // Each statement's results end with a NULL; a failed one is followed by PGRES_PIPELINE_ABORTED ones.
            guard let result = PQgetResult(connection) else { throw abandonPipeline(sql: statement.sql) }
            let status = PQresultStatus(result)
            if status == PGRES_PIPELINE_ABORTED {
                PQclear(result)
            } else if status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK {
                results.append(try rows(from: result, sql: statement.sql))
                PQclear(result)
            } else {
                let error = error(from: result, sql: statement.sql)
                PQclear(result)
                // `error(from:)` drops a lost connection: nothing more may be read from it.
                if self.connection == nil { throw error }
                failure = failure ?? error
            }
            while let extra = PQgetResult(connection) { PQclear(extra) }
        }
        // The Sync's own result, after the implicit COMMIT (or ROLLBACK); a failed commit reports its error first.
        while true {
            guard let result = PQgetResult(connection) else { throw abandonPipeline(sql: "COMMIT") }
            let status = PQresultStatus(result)
            if status == PGRES_PIPELINE_SYNC {
                PQclear(result)
                break
            }
            if status == PGRES_FATAL_ERROR {
                let error = error(from: result, sql: "COMMIT")
                PQclear(result)
                if self.connection == nil { throw error }
                failure = failure ?? error
            } else {
                PQclear(result)
            }
        }
        guard PQexitPipelineMode(connection) == 1 else { throw abandonPipeline(sql: "exit pipeline mode") }
        if let failure { throw failure }
        return results
    }

    /// A pipeline that cannot be completed leaves the connection in an unknown state: `error(from: nil, …)`
    /// treats it as lost and drops it.
    private func abandonPipeline(sql: String) -> PostgresError {
        error(from: nil, sql: sql)
    }
}
