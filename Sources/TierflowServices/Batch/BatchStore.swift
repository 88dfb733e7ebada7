import Foundation
import TierflowPipeline
import TierflowPostgres

/// The batch tables in PostgreSQL: the batch row, its lines and its distinct queries.
///
/// Every change is one statement, so a crash leaves either all of it or none: a chunk's lines, its queries
/// and the new resume point commit together; marking queries answered and adding them to the counters too.
public struct BatchStore: Sendable {
    public let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// What `run` asks for when it starts or resumes a batch.
    public struct Start: Sendable {
        public var id: String
        public var file: String
        public var format: String
        public var mapping: BatchMapping
        /// nil keeps the batch's cap (none for a new batch).
        public var budgetUSD: Double?
        public var ratePerSecond: Double?
        public var maxInFlight: Int
        public var runner: String

        public init(
            id: String, file: String, format: String, mapping: BatchMapping, budgetUSD: Double?, ratePerSecond: Double?,
            maxInFlight: Int, runner: String
        ) {
            self.id = id
            self.file = file
            self.format = format
            self.mapping = mapping
            self.budgetUSD = budgetUSD
            self.ratePerSecond = ratePerSecond
            self.maxInFlight = maxInFlight
            self.runner = runner
        }
    }

    /// Creates the batch, or takes over an existing one (new caps win when given); returns it.
    public func start(_ start: Start) async throws -> BatchStatus {
        let mapping = String(decoding: try JSONEncoder().encode(start.mapping), as: UTF8.self)
        let rows = try await connection.query(
            """
            INSERT INTO batches (id, file, format, mapping, budget_usd, rate_per_second, max_in_flight, runner, heartbeat_at)
            VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, now())
            ON CONFLICT (id) DO UPDATE SET
                budget_usd = coalesce(EXCLUDED.budget_usd, batches.budget_usd),
                rate_per_second = coalesce(EXCLUDED.rate_per_second, batches.rate_per_second),
                max_in_flight = EXCLUDED.max_in_flight, runner = EXCLUDED.runner, heartbeat_at = now(), updated_at = now()
            RETURNING \(BatchStatus.columns)
            """,
            [
                .string(start.id), .string(start.file), .string(start.format), .json(mapping), .double(start.budgetUSD),
                .double(start.ratePerSecond), .int(start.maxInFlight), .string(start.runner),
            ])
        return try BatchStatus(row: rows[0])
    }

    /// Takes the batch's session-level advisory lock: one process runs a batch at a time. The server frees it
    /// when this connection ends, however the process ended (kill -9 included). False if another holds it.
    public func lock(_ id: String) async throws -> Bool {
        let rows = try await connection.query(
            "SELECT pg_try_advisory_lock(hashtextextended('tierflow.batch:' || $1, 0)) AS locked", [.string(id)])
        return try rows.first?.bool("locked") ?? false
    }

    /// Gives the lock back.
    public func unlock(_ id: String) async throws {
        _ = try await connection.query("SELECT pg_advisory_unlock(hashtextextended('tierflow.batch:' || $1, 0))", [.string(id)])
    }

    /// The batch `id`, or nil.
    public func load(_ id: String) async throws -> BatchStatus? {
        let rows = try await connection.query("SELECT \(BatchStatus.columns) FROM batches WHERE id = $1", [.string(id)])
        return try rows.first.map(BatchStatus.init(row:))
    }

    /// Every batch, newest first.
    public func list(limit: Int = 50) async throws -> [BatchStatus] {
        let rows = try await connection.query(
            "SELECT \(BatchStatus.columns) FROM batches ORDER BY created_at DESC LIMIT $1", [.int(limit)])
        return try rows.map(BatchStatus.init(row:))
    }

    public func setTotalLines(_ id: String, _ total: Int) async throws {
        try await connection.execute("UPDATE batches SET total_lines = $2 WHERE id = $1", [.string(id), .int(total)])
    }

    /// Moves the batch to `state` if it is in one of `from`; returns the batch after, or nil if it does not exist.
    @discardableResult
    public func setState(_ id: String, to state: BatchStatus.State, from: [BatchStatus.State], budgetUSD: Double? = nil) async throws -> BatchStatus? {
        _ = try await connection.query(
            """
            UPDATE batches SET state = $2, budget_usd = coalesce($4, budget_usd), updated_at = now(),
                finished_at = CASE WHEN $2 IN ('done', 'cancelled') THEN now() ELSE NULL END
            WHERE id = $1 AND state = ANY($3::text[])
            """,
            [.string(id), .string(state.rawValue), .array(from.map { .string($0.rawValue) }), .double(budgetUSD)])
        return try await load(id)
    }

    /// Which of `queryIds` this batch already published (and committed).
    public func published(_ id: String, among queryIds: [String]) async throws -> Set<String> {
        guard !queryIds.isEmpty else { return [] }
        let rows = try await connection.query(
            "SELECT query_id FROM batch_queries WHERE batch_id = $1 AND query_id = ANY($2::text[])",
            [.string(id), .array(queryIds.map { .string($0) })])
        return Set(try rows.compactMap { try $0.string("query_id") })
    }

    /// One line of a chunk as committed.
    public struct LineRow: Sendable {
        public var line: Int
        public var queryId: String?
        public var sourceId: String?
        public var previous: String?
        public var error: String?

        public init(line: Int, queryId: String?, sourceId: String?, previous: String?, error: String?) {
            self.line = line
            self.queryId = queryId
            self.sourceId = sourceId
            self.previous = previous
            self.error = error
        }
    }

    /// Commits a chunk whose queries the broker confirmed: its lines, its queries (line counts added to
    /// existing ones) and the resume point, in one statement. Lines of queries already answered count as done.
    public func commit(_ id: String, lines: [LineRow], queryLines: [String: Int], nextOffset: Int64, nextLine: Int) async throws -> BatchStatus {
        let queryIds = Array(queryLines.keys)
        let rows = try await connection.query(
            """
            WITH lines AS (
                INSERT INTO batch_lines (batch_id, line_no, query_id, source_id, previous, error)
                SELECT $1, t.* FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[]) AS t
                ON CONFLICT DO NOTHING RETURNING error
            ), input AS (
                SELECT * FROM unnest($7::text[], $8::int[]) AS t(query_id, n)
            ), q AS (
                INSERT INTO batch_queries (batch_id, query_id, line_count)
                SELECT $1, query_id, n FROM input
                ON CONFLICT (batch_id, query_id) DO UPDATE SET line_count = batch_queries.line_count + EXCLUDED.line_count
                RETURNING query_id, done, (xmax = 0) AS inserted
            ), sums AS (
                SELECT count(*) FILTER (WHERE q.inserted) AS new_queries,
                       coalesce(sum(input.n) FILTER (WHERE q.done), 0) AS done_lines
                FROM q JOIN input USING (query_id)
            )
            UPDATE batches b SET next_offset = $9, next_line = $10,
                lines_read = b.lines_read + (SELECT count(*) FROM lines),
                malformed = b.malformed + (SELECT count(*) FROM lines WHERE error IS NOT NULL),
                queries = b.queries + sums.new_queries, done_lines = b.done_lines + sums.done_lines,
                heartbeat_at = now(), updated_at = now()
            FROM sums WHERE b.id = $1
            RETURNING \(BatchStatus.qualifiedColumns)
            """,
            [
                .string(id), .array(lines.map { .int($0.line) }), .array(lines.map { .string($0.queryId) }),
                .array(lines.map { .string($0.sourceId) }), .array(lines.map { .string($0.previous) }),
                .array(lines.map { .string($0.error) }), .array(queryIds.map { .string($0) }),
                .array(queryIds.map { .int(queryLines[$0]!) }), .int64(nextOffset), .int(nextLine),
            ])
        guard let row = rows.first else {
            throw BatchError(code: .notFound, message: "batch \(id) disappeared while running")
        }
        return try BatchStatus(row: row)
    }

    /// Marks the batch's queries that got their result as done and adds them to its counters (one statement);
    /// returns the batch after. Touches only pending queries (at most the in-flight window).
    public func poll(_ id: String) async throws -> BatchStatus {
        let rows = try await connection.query(
            """
            WITH d AS (
                UPDATE batch_queries bq SET done = true
                FROM results r
                WHERE bq.batch_id = $1 AND NOT bq.done AND r.query_id = bq.query_id
                RETURNING bq.line_count, r.layer, r.cost_usd
            ), merged AS (
                SELECT coalesce(jsonb_object_agg(k, v), '{}'::jsonb) AS counts FROM (
                    SELECT k, sum(v)::bigint AS v FROM (
                        SELECT e.key AS k, e.value::bigint AS v FROM batches, jsonb_each_text(batches.layer_counts) e WHERE batches.id = $1
                        UNION ALL SELECT layer::text, 1 FROM d
                    ) x GROUP BY k
                ) y
            )
            UPDATE batches b SET
                done_queries = b.done_queries + (SELECT count(*) FROM d),
                done_lines = b.done_lines + (SELECT coalesce(sum(line_count), 0) FROM d),
                cost_usd = b.cost_usd + (SELECT coalesce(sum(cost_usd), 0) FROM d),
                max_query_cost_usd = greatest(b.max_query_cost_usd, (SELECT coalesce(max(cost_usd), 0) FROM d)),
                layer_counts = (SELECT counts FROM merged), heartbeat_at = now()
            WHERE b.id = $1
            RETURNING \(BatchStatus.qualifiedColumns)
            """,
            [.string(id)])
        guard let row = rows.first else {
            throw BatchError(code: .notFound, message: "batch \(id) disappeared while running")
        }
        return try BatchStatus(row: row)
    }
}
