import Foundation
import TierflowPipeline
import TierflowPostgres

/// A batch as `batches` records it: what it reads, its caps, its state and how far it got.
public struct BatchStatus: Sendable, Hashable {
    /// `running`, `paused`, `cancelled`, `budget` (the budget cap stopped it) or `done`.
    public struct State: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public static let running = State(rawValue: "running")
        public static let paused = State(rawValue: "paused")
        public static let cancelled = State(rawValue: "cancelled")
        public static let budget = State(rawValue: "budget")
        public static let done = State(rawValue: "done")
        public var description: String { rawValue }
    }

    public var id: String
    public var file: String
    public var format: String
    public var mapping: BatchMapping?
    public var state: State
    public var budgetUSD: Double?
    public var ratePerSecond: Double?
    public var maxInFlight: Int
    public var totalLines: Int?
    public var nextOffset: Int64
    public var nextLine: Int
    public var linesRead: Int
    public var malformed: Int
    public var queries: Int
    public var doneQueries: Int
    public var doneLines: Int
    public var costUSD: Double
    /// The dearest done query's cost.
    public var maxQueryCostUSD: Double = 0
    /// Done queries per layer (0 = knowledge base, n = tier n).
    public var layerCounts: [Int: Int]
    public var runner: String?
    public var heartbeatAt: Date?
    public var createdAt: Date?
    public var finishedAt: Date?

    /// A batch as given (for reports and tests); counters default to nothing done.
    public init(
        id: String, file: String, format: String = "csv", state: State = .running, totalLines: Int? = nil, linesRead: Int = 0,
        malformed: Int = 0, queries: Int = 0, doneQueries: Int = 0, doneLines: Int = 0, costUSD: Double = 0,
        layerCounts: [Int: Int] = [:]
    ) {
        self.id = id
        self.file = file
        self.format = format
        self.state = state
        maxInFlight = 1000
        nextOffset = 0
        nextLine = 1
        self.totalLines = totalLines
        self.linesRead = linesRead
        self.malformed = malformed
        self.queries = queries
        self.doneQueries = doneQueries
        self.doneLines = doneLines
        self.costUSD = costUSD
        self.layerCounts = layerCounts
    }

    /// Queries published and not answered yet.
    public var inFlight: Int { max(0, queries - doneQueries) }

    /// Whether a process updated the batch in the last `seconds`.
    public func isAlive(within seconds: Double = 10, now: Date = Date()) -> Bool {
        guard let heartbeatAt else { return false }
        return now.timeIntervalSince(heartbeatAt) < seconds
    }

    static let columns = """
        id, file, format, mapping::text AS mapping, state, budget_usd, rate_per_second, max_in_flight, total_lines, next_offset,
        next_line, lines_read, malformed, queries, done_queries, done_lines, cost_usd, max_query_cost_usd,
        layer_counts::text AS layer_counts, runner, heartbeat_at, created_at, finished_at
        """

    /// The same columns of `batches b`, for statements that join another relation.
    static let qualifiedColumns = """
        b.id, b.file, b.format, b.mapping::text AS mapping, b.state, b.budget_usd, b.rate_per_second, b.max_in_flight,
        b.total_lines, b.next_offset, b.next_line, b.lines_read, b.malformed, b.queries, b.done_queries, b.done_lines,
        b.cost_usd, b.max_query_cost_usd, b.layer_counts::text AS layer_counts, b.runner, b.heartbeat_at, b.created_at,
        b.finished_at
        """

    init(row: PostgresRow) throws {
        id = try row.string("id") ?? ""
        file = try row.string("file") ?? ""
        format = try row.string("format") ?? "jsonl"
        mapping = try row.string("mapping").flatMap { try? JSONDecoder().decode(BatchMapping.self, from: Data($0.utf8)) }
        state = State(rawValue: try row.string("state") ?? "running")
        budgetUSD = try row.double("budget_usd")
        ratePerSecond = try row.double("rate_per_second")
        maxInFlight = try row.int("max_in_flight") ?? 1000
        totalLines = try row.int("total_lines")
        nextOffset = Int64(try row.int("next_offset") ?? 0)
        nextLine = try row.int("next_line") ?? 1
        linesRead = try row.int("lines_read") ?? 0
        malformed = try row.int("malformed") ?? 0
        queries = try row.int("queries") ?? 0
        doneQueries = try row.int("done_queries") ?? 0
        doneLines = try row.int("done_lines") ?? 0
        costUSD = try row.double("cost_usd") ?? 0
        maxQueryCostUSD = try row.double("max_query_cost_usd") ?? 0
        layerCounts = [:]
        if let text = try row.string("layer_counts"),
            let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        {
            for (key, value) in object {
                if let layer = Int(key), let count = (value as? NSNumber)?.intValue { layerCounts[layer] = count }
            }
        }
        runner = try row.string("runner")
        heartbeatAt = try row.date("heartbeat_at")
        createdAt = try row.date("created_at")
        finishedAt = try row.date("finished_at")
    }
}
