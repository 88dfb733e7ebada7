import Foundation
import TierflowPipeline
import TierflowPostgres

/// Reads and writes `kb_entries`: the curated knowledge base and Layer 0's answer cache.
///
/// Every change is announced on ``channel`` by a trigger (migration 002), so running Layer 0 processes
/// pick it up through LISTEN/NOTIFY; editing or deleting a curated entry also deletes the cache entries
/// derived from it.
public struct KnowledgeBaseStore: Sendable {
    /// The NOTIFY channel; the payload is the changed entry's key.
    public static let channel = "tierflow_kb"
    /// Rows per INSERT statement when importing.
    static let batchSize = 1000

    let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// Inserts or updates curated entries by key, in one transaction; rows whose content is unchanged are
    /// not written. Returns how many rows were inserted or changed.
    @discardableResult
    public func upsert(_ entries: [KnowledgeEntry]) async throws -> Int {
        try await write(entries, onlyOverwriting: nil)
    }

    /// Inserts or refreshes cache entries by key; a curated entry with the same key is never overwritten.
    @discardableResult
    public func upsertCache(_ entries: [KnowledgeEntry]) async throws -> Int {
        try await write(entries.map { var entry = $0; entry.kind = "cache"; return entry }, onlyOverwriting: "cache")
    }

    private func write(_ entries: [KnowledgeEntry], onlyOverwriting kind: String?) async throws -> Int {
        var latest: [String: KnowledgeEntry] = [:]
        var order: [String] = []
        for entry in entries {
            if latest.updateValue(entry, forKey: entry.key) == nil { order.append(entry.key) }
        }
        let unique = order.map { latest[$0]! }
        guard !unique.isEmpty else { return 0 }
        let guardClause = kind == nil ? "" : "kb_entries.kind = 'cache' AND "
        let sql = """
            INSERT INTO kb_entries (key, kind, fault_code, asset_class, tag, asset, question, answer, source, derived_from, valid_until)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                                 $9::text[], $10::text[], $11::timestamptz[])
            ON CONFLICT (key) DO UPDATE SET kind = EXCLUDED.kind, fault_code = EXCLUDED.fault_code,
                asset_class = EXCLUDED.asset_class, tag = EXCLUDED.tag, asset = EXCLUDED.asset, question = EXCLUDED.question,
                answer = EXCLUDED.answer, source = EXCLUDED.source, derived_from = EXCLUDED.derived_from,
                valid_until = EXCLUDED.valid_until, updated_at = now()
            WHERE \(guardClause)(kb_entries.kind, kb_entries.fault_code, kb_entries.asset_class, kb_entries.tag, kb_entries.asset,
                   kb_entries.question, kb_entries.answer, kb_entries.source, kb_entries.derived_from, kb_entries.valid_until)
                IS DISTINCT FROM (EXCLUDED.kind, EXCLUDED.fault_code, EXCLUDED.asset_class, EXCLUDED.tag, EXCLUDED.asset,
                   EXCLUDED.question, EXCLUDED.answer, EXCLUDED.source, EXCLUDED.derived_from, EXCLUDED.valid_until)
            """
        let statements = stride(from: 0, to: unique.count, by: Self.batchSize).map { start in
            let batch = unique[start..<min(unique.count, start + Self.batchSize)]
            func column(_ value: (KnowledgeEntry) -> String?) -> PostgresValue { .array(batch.map { .string(value($0)) }) }
            return PostgresStatement(sql, [
                column(\.key), column(\.kind), column(\.faultCode), column(\.assetClass), column(\.tag), column(\.asset),
                column(\.question), column(\.answer), column(\.source), column(\.derivedFrom),
                .array(batch.map { .date($0.validUntil) }),
            ])
        }
        return try await connection.transaction(statements).reduce(0) { $0 + $1.affectedRows }
    }

    /// Deletes the entry with `key` (and, through the trigger, the cache entries derived from it).
    @discardableResult
    public func delete(key: String) async throws -> Bool {
        try await connection.execute("DELETE FROM kb_entries WHERE key = $1", [.string(key)]) > 0
    }

    /// Which cache entries ``invalidate(_:)`` deletes; the filters combine with AND.
    public struct Invalidation: Sendable, Hashable {
        public var faultCode: String?
        /// An asset id (`P-101`) or an asset class (`pump`).
        public var asset: String?
        /// Only entries already expired.
        public var expiredOnly: Bool

        public init(faultCode: String? = nil, asset: String? = nil, expiredOnly: Bool = false) {
            self.faultCode = faultCode
            self.asset = asset
            self.expiredOnly = expiredOnly
        }
    }

    /// Deletes the cache entries that match `filter`; returns how many.
    @discardableResult
    public func invalidate(_ filter: Invalidation) async throws -> Int {
        try await connection.execute(
            """
            DELETE FROM kb_entries
            WHERE kind = 'cache'
              AND ($1::text IS NULL OR upper(fault_code) = upper($1::text))
              AND ($2::text IS NULL OR upper(asset) = upper($2::text) OR lower(asset_class) = lower($2::text))
              AND (NOT $3::boolean OR valid_until <= now())
            """,
            [.string(filter.faultCode), .string(filter.asset), .bool(filter.expiredOnly)])
    }

    /// The entry with `key`, expired or not.
    public func entry(key: String) async throws -> KnowledgeEntry? {
        try await connection.query("SELECT \(Self.columns) FROM kb_entries WHERE key = $1", [.string(key)]).first.map(Self.entry)
    }

    /// Entries ordered by key, optionally of one kind and one fault code.
    public func list(kind: String? = nil, faultCode: String? = nil, limit: Int = 100) async throws -> [KnowledgeEntry] {
        try await connection.query(
            """
            SELECT \(Self.columns) FROM kb_entries
            WHERE ($1::text IS NULL OR kind = $1::text) AND ($2::text IS NULL OR upper(fault_code) = upper($2::text))
            ORDER BY key LIMIT $3
            """,
            [.string(kind), .string(faultCode), .int(limit)]
        ).map(Self.entry)
    }

    /// Every entry that is still valid.
    public func loadValid() async throws -> [KnowledgeEntry] {
        try await connection.query(
            "SELECT \(Self.columns) FROM kb_entries WHERE valid_until IS NULL OR valid_until > now()"
        ).map(Self.entry)
    }

    /// The entries with these keys that exist (valid or not).
    public func entries(keys: [String]) async throws -> [KnowledgeEntry] {
        guard !keys.isEmpty else { return [] }
        return try await connection.query(
            "SELECT \(Self.columns) FROM kb_entries WHERE key = ANY($1::text[])", [.array(keys.map { .string($0) })]
        ).map(Self.entry)
    }

    static let columns = "key, kind, fault_code, asset_class, tag, asset, question, answer, source, derived_from, valid_until"

    static func entry(_ row: PostgresRow) throws -> KnowledgeEntry {
        KnowledgeEntry(
            key: try row.string("key") ?? "", kind: try row.string("kind") ?? "kb", faultCode: try row.string("fault_code"),
            assetClass: try row.string("asset_class"), tag: try row.string("tag"), asset: try row.string("asset"),
            question: try row.string("question") ?? "", answer: try row.string("answer") ?? "", source: try row.string("source"),
            derivedFrom: try row.string("derived_from"), validUntil: try row.date("valid_until"))
    }
}
