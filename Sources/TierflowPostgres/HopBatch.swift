/// A group of ``HopWrite`` units committed in ONE transaction: one multi-row insert per table, rows
/// de-duplicated by key within the batch and sorted by key (so concurrent writers take row locks in the same
/// order and cannot deadlock on each other's duplicates).
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
        let hopOwners = Self.firstOwners(units.indices.map { (units[$0].hop.key, $0) })
        let queryOwners = Self.firstOwners(units.indices.compactMap { i in units[i].query.map { ($0.id, i) } })
        let resultOwners = Self.firstOwners(units.indices.compactMap { i in units[i].result.map { ($0.queryId, i) } })
        let deadLetterOwners = Self.firstOwners(units.indices.compactMap { i in units[i].deadLetter.map { ($0.messageId, i) } })

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

    /// For each distinct key, the first unit index that carries it; sorted by key. `pairs` come in unit
    /// order and the sort is stable, so the first of equal keys is the first unit that carries it.
    private static func firstOwners<Key: Comparable>(_ pairs: [(Key, Int)]) -> [(key: Key, index: Int)] {
        var owners: [(key: Key, index: Int)] = []
        owners.reserveCapacity(pairs.count)
        for (key, index) in pairs.sorted(by: { $0.0 < $1.0 }) where owners.last?.key != key {
            owners.append((key, index))
        }
        return owners
    }

    /// Unit indices whose key the database reported as inserted (all of them when it returned every key).
    private static func winners<Key: Hashable>(_ owners: [(key: Key, index: Int)], inserted: Set<Key>?) -> Set<Int> {
        guard let inserted else { return Set(owners.lazy.map(\.index)) }
        return Set(owners.lazy.filter { inserted.contains($0.key) }.map(\.index))
    }
}
