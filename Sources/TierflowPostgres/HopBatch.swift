/// A group of ``HopWrite`` units committed in ONE transaction: one multi-row insert per table, rows
/// de-duplicated by key within the batch and sorted by key (so concurrent writers take row locks in the same
/// order and cannot deadlock on each other's duplicates), `RETURNING` the keys that were inserted.
struct HopBatch {
    let units: [HopWrite]

    /// Writes the batch in one transaction on `session`; returns one outcome per unit, in order.
    /// Within a batch, the first unit carrying a key is the one reported `.inserted`; later ones `.duplicate`.
    func commit(on session: PostgresSession, style: BatchInsert.Style) throws -> [HopWriteOutcome] {
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
        let returned = try session.executeAtomically(tables.map { table in
            let statement = table.insert.statement(rows: table.rows, style: style)
            return PostgresStatementCall(sql: statement.sql, parameters: statement.parameters, prepare: statement.prepare)
        })
        var insertedHops = Set<HopRecord.Key>()
        var insertedQueries = Set<String>()
        var insertedResults = Set<String>()
        var insertedDeadLetters = Set<String>()
        for (table, rows) in zip(tables.map(\.table), returned) {
            for row in rows {
                switch table {
                case .hops:
                    insertedHops.insert(HopRecord.Key(
                        queryId: try row.string("query_id") ?? "", stage: try row.string("stage") ?? "",
                        tier: try row.string("tier") ?? "", attempt: try row.int("attempt") ?? 0))
                case .queries: insertedQueries.insert(try row.string("id") ?? "")
                case .results: insertedResults.insert(try row.string("query_id") ?? "")
                case .deadLetters: insertedDeadLetters.insert(try row.string("message_id") ?? "")
                }
            }
        }
        let inserted = (insertedHops, insertedQueries, insertedResults, insertedDeadLetters)

        let hopWinners = Self.winners(hopOwners, inserted: inserted.0)
        let queryWinners = Self.winners(queryOwners, inserted: inserted.1)
        let resultWinners = Self.winners(resultOwners, inserted: inserted.2)
        let deadLetterWinners = Self.winners(deadLetterOwners, inserted: inserted.3)
        return units.indices.map { index in
            let unit = units[index]
            return HopWriteOutcome(
                hop: hopWinners.contains(index) ? .inserted : .duplicate,
                query: unit.query.map { _ in queryWinners.contains(index) ? .inserted : .duplicate },
                result: unit.result.map { _ in resultWinners.contains(index) ? .inserted : .duplicate },
                deadLetter: unit.deadLetter.map { _ in deadLetterWinners.contains(index) ? .inserted : .duplicate })
        }
    }

    /// For each distinct key, the first unit index that carries it; sorted by key.
    private static func firstOwners<Key: Hashable & Comparable>(_ pairs: [(Key, Int)]) -> [(key: Key, index: Int)] {
        var owners: [Key: Int] = [:]
        for (key, index) in pairs where owners[key] == nil { owners[key] = index }
        return owners.map { (key: $0.key, index: $0.value) }.sorted { $0.key < $1.key }
    }

    /// Unit indices whose key the database reported as inserted.
    private static func winners<Key: Hashable>(_ owners: [(key: Key, index: Int)], inserted: Set<Key>) -> Set<Int> {
        Set(owners.lazy.filter { inserted.contains($0.key) }.map(\.index))
    }
}
