import Foundation
import Synchronization
import TierflowPostgres

/// The ledger of what was submitted to a pipeline, checked against what the pipeline recorded.
///
/// The contract it checks: every submitted query id ends with exactly one final result (a `results` row)
/// or exactly one dead-letter record with a reason (a `dead_letters` row), and nothing else turns up.
/// Messages that are meant to be dead-lettered (poison) are expected by message id instead.
///
/// - lost: a submitted id with no ending (or only a dead letter without a reason);
/// - duplicated: a submitted id with more than one ending (a result and a dead letter, or two dead letters);
/// - unexpected: a result or dead letter in the ledger's scope that nothing submitted explains.
///
/// A dead letter is tied to its query by its `query_id` column, else by the message id: the id the
/// publisher gave the ingest message, or the stage messages' `<query id>/…` ids.
public final class QueryLedger: Sendable {
    /// Where results and dead letters of this ledger's traffic can be told apart from others.
    public struct Scope: Sendable, Hashable {
        /// Dead letters of queues `<namespace>.*` belong to the scope.
        public var namespace: String
        /// Results with this `site` belong to the scope (nil: unexpected results are not looked for).
        public var site: String?

        public init(namespace: String, site: String?) {
            self.namespace = namespace
            self.site = site
        }
    }

    /// What a check found.
    public struct Counts: Sendable, Hashable, Codable {
        /// Query ids submitted plus messages expected to be dead-lettered.
        public var submitted = 0
        public var queries = 0
        public var poison = 0
        /// Endings: results and dead letters (of queries and of poison).
        public var results = 0
        public var deadLettered = 0
        /// Queries (not poison) that ended as a dead letter.
        public var queriesDeadLettered = 0
        public var lost = 0
        public var duplicated = 0
        public var unexpected = 0
        /// A few ids of each problem, for the report.
        public var lostSample: [String] = []
        public var duplicatedSample: [String] = []
        public var unexpectedSample: [String] = []
        /// Reasons of the dead letters, with their counts.
        public var deadLetterReasons: [String: Int] = [:]

        public init() {}

        /// Whether the contract holds: nothing lost, duplicated or unexpected.
        public var isClean: Bool { lost == 0 && duplicated == 0 && unexpected == 0 }
        /// Whether every submission has its ending (lost is 0); duplicates may still be there.
        public var isSettled: Bool { lost == 0 }
    }

    private struct State {
        var order: [String] = []
        var queries: Set<String> = []
        /// Ingest message id → query id.
        var messageQueries: [String: String] = [:]
        var poison: Set<String> = []
    }

    private let state = Mutex(State())
    public let scope: Scope

    public init(scope: Scope) {
        self.scope = scope
    }

    /// Records a query the broker confirmed; `messageId` is the id of the message that carried it.
    public func submitted(queryId: String, messageId: String? = nil) {
        state.withLock { state in
            if state.queries.insert(queryId).inserted { state.order.append(queryId) }
            if let messageId { state.messageQueries[messageId] = queryId }
        }
    }

    /// Records a message that must end as a dead letter (with a reason), by its message id.
    public func expectDeadLetter(messageId: String) {
        _ = state.withLock { $0.poison.insert(messageId) }
    }

    /// The submitted query ids, in submission order.
    public var queryIds: [String] { state.withLock { $0.order } }

    /// How many submissions (queries and poison) there are.
    public var count: Int { state.withLock { $0.queries.count + $0.poison.count } }

    /// How many of `ids` have no ending yet (a result, or a dead letter tied to them).
    public func outstanding(_ ids: [String], on database: PostgresConnection) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        let rows = try await database.query(
            """
            SELECT count(*)::int AS n FROM unnest($1::text[]) AS s(id)
            WHERE NOT EXISTS (SELECT 1 FROM results r WHERE r.query_id = s.id)
              AND NOT EXISTS (SELECT 1 FROM dead_letters d WHERE d.query_id = s.id OR split_part(d.message_id, '/', 1) = s.id)
            """,
            [.array(ids.map { .string($0) })])
        return try rows.first?.int("n") ?? ids.count
    }

    /// Checks the ledger against `results` and `dead_letters`.
    public func check(on database: PostgresConnection) async throws -> Counts {
        let (queries, messageQueries, poison) = state.withLock { ($0.queries, $0.messageQueries, $0.poison) }
        var counts = Counts()
        counts.queries = queries.count
        counts.poison = poison.count
        counts.submitted = queries.count + poison.count

        let resultRows = try await database.query(
            "SELECT query_id FROM results WHERE query_id = ANY($1)", [.array(queries.map { .string($0) })])
        var endings: [String: Int] = [:]
        for row in resultRows {
            if let id = try row.string("query_id") { endings[id, default: 0] += 1 }
        }
        counts.results = resultRows.count

        // Every dead letter in the scope, and any elsewhere that names one of our queries.
        let prefix = scope.namespace + "."
        let deadRows = try await database.query(
            """
            SELECT message_id, query_id, reason FROM dead_letters
            WHERE left(queue, length($1)) = $1 OR query_id = ANY($2) OR message_id = ANY($3)
            """,
            [.string(prefix), .array(queries.map { .string($0) }), .array(poison.map { .string($0) })])
        var poisonSeen: [String: Int] = [:]
        var unexpected: [String] = []
        for row in deadRows {
            let messageId = try row.string("message_id") ?? ""
            let reason = (try row.string("reason") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            counts.deadLetterReasons[Self.reasonClass(reason), default: 0] += 1
            if poison.contains(messageId) {
                if !reason.isEmpty { poisonSeen[messageId, default: 0] += 1 }
                counts.deadLettered += 1
                continue
            }
            let stem = String(messageId.split(separator: "/", maxSplits: 1).first ?? "")
            let queryId = [try row.string("query_id"), messageQueries[messageId], stem].compactMap { $0 }
                .first { queries.contains($0) }
            guard let queryId else {
                unexpected.append("dead letter \(messageId)")
                continue
            }
            counts.deadLettered += 1
            counts.queriesDeadLettered += 1
            if reason.isEmpty {
                continue  // not an ending: it counts as lost unless something else ends the query
            }
            endings[queryId, default: 0] += 1
        }

        for id in queries.sorted() {
            switch endings[id, default: 0] {
            case 0:
                counts.lost += 1
                if counts.lostSample.count < 5 { counts.lostSample.append(id) }
            case 1:
                break
            default:
                counts.duplicated += 1
                if counts.duplicatedSample.count < 5 { counts.duplicatedSample.append(id) }
            }
        }
        for id in poison.sorted() where poisonSeen[id, default: 0] == 0 {
            counts.lost += 1
            if counts.lostSample.count < 5 { counts.lostSample.append(id) }
        }

        if let site = scope.site {
            let strays = try await database.query(
                "SELECT query_id FROM results WHERE site = $1 AND NOT (query_id = ANY($2))",
                [.string(site), .array(queries.map { .string($0) })])
            for row in strays { unexpected.append("result \(try row.string("query_id") ?? "?")") }
        }
        counts.unexpected = unexpected.count
        counts.unexpectedSample = Array(unexpected.sorted().prefix(5))
        return counts
    }

    /// Waits until every submission has its ending or `timeout` passes, then checks; database errors
    /// while waiting (a restarting server) are retried.
    public func settle(on database: PostgresConnection, timeout: Duration, poll: Duration = .milliseconds(250)) async throws -> Counts {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let counts = try? await check(on: database), counts.isSettled || ContinuousClock.now >= deadline {
                return counts
            }
            if ContinuousClock.now >= deadline { return try await check(on: database) }
            try await Task.sleep(for: poll)
        }
    }

    /// A dead-letter reason without its variable parts (offsets, sizes), for counting.
    static func reasonClass(_ reason: String) -> String {
        if reason.isEmpty { return "(no reason)" }
        var text = reason.replacingOccurrences(of: #"[0-9]+"#, with: "N", options: .regularExpression)
        if text.count > 80 { text = String(text.prefix(77)) + "..." }
        return text
    }
}
