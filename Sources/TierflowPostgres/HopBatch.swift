import TierflowCore

/// A group of ``HopWrite`` units committed in ONE transaction: one multi-row insert per table, rows
/// de-duplicated by key within the batch and put in one order every writer agrees on (by a stable hash of the
/// key), so concurrent writers take row locks in the same order and cannot deadlock on each other's duplicates.
///
/// Almost every batch holds only new rows, so it is first sent as plain inserts: no conflict arbitration,
/// no `RETURNING`, every row reported inserted. Only when a key is already stored (a redelivered message, a
/// replayed hop) does that transaction fail with `unique_violation`; it is then sent again with
/// `ON CONFLICT DO NOTHING RETURNING <key>`, which reports exactly which rows were new.
struct HopBatch {
    /// What a commit reports.
    struct Committed {
        /// One outcome per unit, in order.
        var outcomes: [HopWriteOutcome]
        /// Whether a stored key made the plain insert fail, so the batch was sent again skipping conflicts.
        var retriedSkippingConflicts: Bool
    }

    let units: [HopWrite]

    /// Writes the batch in one transaction on `session`; reports one outcome per unit, in order.
    /// Within a batch, the first unit carrying a key is the one reported `.inserted`; later ones `.duplicate`.
    func commit(on session: PostgresSession, style: BatchInsert.Style) throws -> Committed {
        let hopOwners = Self.firstOwners(units.indices.map { (units[$0].hop.key, $0) }, hash: \.lockOrder)
        let queryOwners = Self.firstOwners(units.indices.compactMap { i in units[i].query.map { ($0.id, i) } }, hash: Self.lockOrder)
        let resultOwners = Self.firstOwners(
            units.indices.compactMap { i in units[i].result.map { ($0.queryId, i) } }, hash: Self.lockOrder)
        let deadLetterOwners = Self.firstOwners(
            units.indices.compactMap { i in units[i].deadLetter.map { ($0.messageId, i) } }, hash: Self.lockOrder)

        // One statement per table with rows, committed together in one round trip.
        enum Table { case hops, queries, results, deadLetters }
        let tables: [(table: Table, insert: BatchInsert, rows: [[PostgresValue]])] = [
            (.hops, .hops, hopOwners.map { BatchInsert.row(units[$0.index].hop) }),
            (.queries, .queries, queryOwners.map { BatchInsert.row(units[$0.index].query!) }),
            (.results, .results, resultOwners.map { BatchInsert.row(units[$0.index].result!) }),
            (.deadLetters, .deadLetters, deadLetterOwners.map { BatchInsert.row(units[$0.index].deadLetter!) }),
        ].filter { !$0.rows.isEmpty }
        func calls(_ conflicts: BatchInsert.Conflicts) -> [PostgresStatementCall] {
            tables.map { table in
                let statement = table.insert.statement(rows: table.rows, style: style, conflicts: conflicts)
                return PostgresStatementCall(sql: statement.sql, parameters: statement.parameters, prepare: statement.prepare)
            }
        }
        // nil: every row of that table was inserted.
        var inserted: (hops: Set<HopRecord.Key>?, queries: Set<String>?, results: Set<String>?, deadLetters: Set<String>?)
        inserted = (nil, nil, nil, nil)
        var returned: [PostgresRows] = []
        do {
            _ = try session.executeAtomically(calls(.fail))
        } catch let error as PostgresError where error.isUniqueViolation {
            returned = try session.executeAtomically(calls(.skipAndReturnKeys))
        }
        // When some rows were skipped, the keys returned say which were inserted.
        for (table, rows) in zip(tables, returned) where rows.count < table.rows.count {
            switch table.table {
            case .hops:
                inserted.hops = Set(try rows.map { row in
                    HopRecord.Key(
                        queryId: try row.string("query_id") ?? "", stage: try row.string("stage") ?? "",
                        tier: try row.string("tier") ?? "", attempt: try row.int("attempt") ?? 0)
                })
            case .queries: inserted.queries = Set(try rows.map { try $0.string("id") ?? "" })
            case .results: inserted.results = Set(try rows.map { try $0.string("query_id") ?? "" })
            case .deadLetters: inserted.deadLetters = Set(try rows.map { try $0.string("message_id") ?? "" })
            }
        }

        let hopWinners = Self.winners(hopOwners, inserted: inserted.hops)
        let queryWinners = Self.winners(queryOwners, inserted: inserted.queries)
        let resultWinners = Self.winners(resultOwners, inserted: inserted.results)
        let deadLetterWinners = Self.winners(deadLetterOwners, inserted: inserted.deadLetters)
        let outcomes = units.indices.map { index in
            let unit = units[index]
            return HopWriteOutcome(
                hop: hopWinners.contains(index) ? .inserted : .duplicate,
                query: unit.query.map { _ in queryWinners.contains(index) ? .inserted : .duplicate },
                result: unit.result.map { _ in resultWinners.contains(index) ? .inserted : .duplicate },
                deadLetter: unit.deadLetter.map { _ in deadLetterWinners.contains(index) ? .inserted : .duplicate })
        }
        return Committed(outcomes: outcomes, retriedSkippingConflicts: !returned.isEmpty)
    }

    /// For each distinct key, the first unit index that carries it, in lock order: by `hash` (stable across
    /// processes), equal hashes by key. `pairs` come in unit order, and the position breaks ties between equal
    /// keys, so the first of them is the first unit that carries it. The sort moves hashes and positions,
    /// never a key and its strings.
    static func firstOwners<Key: Comparable>(_ pairs: [(Key, Int)], hash: (Key) -> UInt64) -> [(key: Key, index: Int)] {
        var order = pairs.indices.map { (hash: hash(pairs[$0].0), position: $0) }
        order.sort { a, b in
            if a.hash != b.hash { return a.hash < b.hash }
            let (left, right) = (pairs[a.position].0, pairs[b.position].0)
            return left != right ? left < right : a.position < b.position
        }
        var owners: [(key: Key, index: Int)] = []
        owners.reserveCapacity(pairs.count)
        for entry in order where owners.last?.key != pairs[entry.position].0 {
            owners.append(pairs[entry.position])
        }
        return owners
    }

    /// The lock-order hash of a text key.
    private static func lockOrder(_ key: String) -> UInt64 { StableHash.value(key) }

    /// Unit indices whose key the database reported as inserted (all of them when it returned every key).
    private static func winners<Key: Hashable>(_ owners: [(key: Key, index: Int)], inserted: Set<Key>?) -> Set<Int> {
        guard let inserted else { return Set(owners.lazy.map(\.index)) }
        return Set(owners.lazy.filter { inserted.contains($0.key) }.map(\.index))
    }
}
