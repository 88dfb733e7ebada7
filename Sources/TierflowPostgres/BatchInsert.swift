/// A multi-row `INSERT` for one table, built either from one array parameter per column (`unnest`) or from
/// sized multi-row `VALUES`; either a plain insert that fails on an existing key, or one that skips existing
/// keys (`ON CONFLICT DO NOTHING`) and returns the keys it inserted.
struct BatchInsert: Sendable {
    /// What the statement does with a row whose key is already stored.
    enum Conflicts: Sendable {
        /// Fail the statement (`unique_violation`): the cheapest insert, for rows expected to be new.
        case fail
        /// Skip the row (`ON CONFLICT DO NOTHING`) and return the keys of the rows inserted.
        case skipAndReturnKeys
    }

    enum Style: Sendable {
        /// `INSERT ... SELECT ... FROM unnest($1::text[], ...)`: fixed SQL, prepared once; arrays in binary format.
        case unnest
        /// `INSERT ... VALUES ($1, ...), ($n, ...)`: SQL depends on the row count, run unprepared.
        case multiRowValues
    }

    struct Column: Sendable {
        var name: String
        /// The SQL type the parameter is cast to (`text`, `int`, `float8`, `boolean`, `timestamptz`, `jsonb`, `bytea`).
        var type: String
        /// An SQL expression used when the value is NULL (`now()` for defaulted timestamps).
        var defaultExpression: String?
    }

    let table: String
    let columns: [Column]
    let returning: [String]
    /// The `unnest` statements (plain, and skipping conflicts), built once: they are the same for every batch.
    private let unnestSQL: (plain: String, skipping: String)

    init(table: String, columns: [Column], returning: [String]) {
        self.table = table
        self.columns = columns
        self.returning = returning
        let names = columns.map(\.name).joined(separator: ", ")
        let arrays = columns.indices.map { "$\($0 + 1)::\(columns[$0].type)[]" }.joined(separator: ", ")
        let selected = columns.map { column in
            column.defaultExpression.map { "COALESCE(\(column.name), \($0))" } ?? column.name
        }.joined(separator: ", ")
        let plain = "INSERT INTO \(table) (\(names)) SELECT \(selected) FROM unnest(\(arrays)) AS u(\(names))"
        unnestSQL = (plain, plain + Self.skippingSuffix(returning))
    }

    private static func skippingSuffix(_ returning: [String]) -> String {
        " ON CONFLICT DO NOTHING RETURNING " + returning.joined(separator: ", ")
    }

    /// The statement inserting `rows` (each with one value per column, in column order).
    func statement(
        rows: [[PostgresValue]], style: Style, conflicts: Conflicts
    ) -> (sql: String, parameters: [PostgresValue], prepare: Bool) {
        switch style {
        case .unnest:
            let parameters = columns.indices.map { index in
                PostgresValue.array(rows.map { $0[index] }, sqlType: columns[index].type)
            }
            return (conflicts == .fail ? unnestSQL.plain : unnestSQL.skipping, parameters, true)
        case .multiRowValues:
            let names = columns.map(\.name).joined(separator: ", ")
            let suffix = conflicts == .fail ? "" : Self.skippingSuffix(returning)
            var tuples: [String] = []
            tuples.reserveCapacity(rows.count)
            var number = 0
            for _ in rows {
                let placeholders = columns.map { column in
                    number += 1
                    let cast = "$\(number)::\(column.type)"
                    return column.defaultExpression.map { "COALESCE(\(cast), \($0))" } ?? cast
                }
                tuples.append("(" + placeholders.joined(separator: ", ") + ")")
            }
            let sql = "INSERT INTO \(table) (\(names)) VALUES " + tuples.joined(separator: ", ") + suffix
            return (sql, rows.flatMap { $0 }, false)
        }
    }
}

extension BatchInsert {
    static let hops = BatchInsert(
        table: "hops",
        columns: [
            .init(name: "query_id", type: "text"), .init(name: "stage", type: "text"), .init(name: "tier", type: "text"),
            .init(name: "attempt", type: "int"), .init(name: "worker", type: "text"),
            .init(name: "started_at", type: "timestamptz"), .init(name: "finished_at", type: "timestamptz"),
            .init(name: "decision", type: "text"), .init(name: "score", type: "float8"), .init(name: "model", type: "text"),
            .init(name: "tokens_in", type: "int"), .init(name: "tokens_out", type: "int"),
            .init(name: "cost_usd", type: "float8"), .init(name: "error", type: "text"),
            .init(name: "detail", type: "jsonb"), .init(name: "output", type: "jsonb"),
        ],
        returning: ["query_id", "stage", "tier", "attempt"])

    static func row(_ hop: HopRecord) -> [PostgresValue] {
        [.string(hop.queryId), .string(hop.stage), .string(hop.tier), .int(hop.attempt), .string(hop.worker),
         .date(hop.startedAt), .date(hop.finishedAt), .string(hop.decision), .double(hop.score), .string(hop.model),
         .int(hop.tokensIn), .int(hop.tokensOut), .double(hop.costUSD), .string(hop.error), .json(hop.detail),
         .json(hop.output)]
    }

    static let queries = BatchInsert(
        table: "queries",
        columns: [
            .init(name: "id", type: "text"), .init(name: "source", type: "text"), .init(name: "event_id", type: "text"),
            .init(name: "coalesced_into", type: "text"), .init(name: "received_at", type: "timestamptz"),
            .init(name: "deadline", type: "timestamptz"), .init(name: "priority", type: "text"),
            .init(name: "site", type: "text"), .init(name: "asset", type: "text"), .init(name: "payload", type: "jsonb"),
            .init(name: "created_at", type: "timestamptz", defaultExpression: "now()"),
        ],
        returning: ["id"])

    static func row(_ query: QueryRecord) -> [PostgresValue] {
        [.string(query.id), .string(query.source), .string(query.eventId), .string(query.coalescedInto),
         .date(query.receivedAt), .date(query.deadline), .string(query.priority), .string(query.site),
         .string(query.asset), .json(query.payload), .date(query.createdAt)]
    }

    static let results = BatchInsert(
        table: "results",
        columns: [
            .init(name: "query_id", type: "text"), .init(name: "source", type: "text"), .init(name: "layer", type: "int"),
            .init(name: "tier", type: "text"), .init(name: "model", type: "text"), .init(name: "answer", type: "text"),
            .init(name: "confidence", type: "float8"), .init(name: "low_confidence", type: "boolean"),
            .init(name: "ended_by", type: "text"), .init(name: "escalations", type: "int"),
            .init(name: "cost_usd", type: "float8"), .init(name: "latency_ms", type: "float8"),
            .init(name: "simulated", type: "boolean"), .init(name: "site", type: "text"), .init(name: "asset", type: "text"),
            .init(name: "history", type: "jsonb"),
            .init(name: "finished_at", type: "timestamptz", defaultExpression: "now()"),
        ],
        returning: ["query_id"])

    static func row(_ result: ResultRecord) -> [PostgresValue] {
        [.string(result.queryId), .string(result.source), .int(result.layer), .string(result.tier),
         .string(result.model), .string(result.answer), .double(result.confidence), .bool(result.lowConfidence),
         .string(result.endedBy), .int(result.escalations), .double(result.costUSD), .double(result.latencyMs),
         .bool(result.simulated), .string(result.site), .string(result.asset), .json(result.history),
         .date(result.finishedAt)]
    }

    static let deadLetters = BatchInsert(
        table: "dead_letters",
        columns: [
            .init(name: "message_id", type: "text"), .init(name: "query_id", type: "text"),
            .init(name: "queue", type: "text"), .init(name: "reason", type: "text"), .init(name: "body", type: "bytea"),
            .init(name: "headers", type: "jsonb"),
            .init(name: "created_at", type: "timestamptz", defaultExpression: "now()"),
        ],
        returning: ["message_id"])

    static func row(_ deadLetter: DeadLetterRecord) -> [PostgresValue] {
        [.string(deadLetter.messageId), .string(deadLetter.queryId), .string(deadLetter.queue),
         .string(deadLetter.reason), .bytes(deadLetter.body), .json(deadLetter.headers), .date(deadLetter.createdAt)]
    }
}
