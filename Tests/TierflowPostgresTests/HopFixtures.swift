import Foundation

@testable import TierflowPostgres

/// Realistically sized hop units for the writer tests and the benchmark.
enum HopFixtures {
    static func unit(
        prefix: String, index: Int, stage: String = "tier", attempt: Int = 0, query: Bool = false,
        result: Bool = false, deadLetter: Bool = false
    ) -> HopWrite {
        let queryId = "\(prefix)\(index)"
        let now = Date()
        return HopWrite(
            hop: HopRecord(
                queryId: queryId, stage: stage, tier: stage == "tier" ? "edge" : "", attempt: attempt,
                worker: "test-worker-1", startedAt: now.addingTimeInterval(-0.25), finishedAt: now,
                decision: "answered", score: 0.87, model: "llama-3.1-8b", tokensIn: 412, tokensOut: 96,
                costUSD: 0.000_42, detail: #"{"estimates": {"edge": 0.87, "cloud": 0.95}, "signals": ["logprob", "length"]}"#,
                output: #"{"query_id": "\#(queryId)", "answer": "Reset the breaker on feeder 3 after checking \u00e9 \u0000 insulation.", "tier": "edge", "confidence": 0.87}"#),
            query: query
                ? QueryRecord(
                    id: queryId, source: "scada", eventId: "evt-\(queryId)", receivedAt: now, deadline: now.addingTimeInterval(30),
                    site: "plant-7", asset: "feeder-3", payload: #"{"text": "Breaker trip on feeder 3", "alarm": "F-301"}"#)
                : nil,
            result: result
                ? ResultRecord(
                    queryId: queryId, source: "scada", layer: 1, tier: "edge", model: "llama-3.1-8b",
                    answer: "Reset the breaker after checking insulation.", confidence: 0.87,
                    history: #"[{"tier": "edge", "confidence": 0.87}]"#)
                : nil,
            deadLetter: deadLetter
                ? DeadLetterRecord(
                    messageId: "msg-\(queryId)", queryId: queryId, queue: "tierflow.tier.edge", reason: "invalid_json",
                    body: [0x00, 0xff, 0x7b, 0x22], headers: #"{"x-reason": "invalid_json"}"#)
                : nil)
    }

    /// Writes `units` concurrently (one task each); returns the outcomes in unit order.
    static func writeConcurrently(_ units: [HopWrite], to writer: HopLogWriter) async throws -> [HopWriteOutcome] {
        try await withThrowingTaskGroup(of: (Int, HopWriteOutcome).self) { group in
            for (index, unit) in units.enumerated() {
                group.addTask { (index, try await writer.write(unit)) }
            }
            var outcomes = [HopWriteOutcome?](repeating: nil, count: units.count)
            for try await (index, outcome) in group { outcomes[index] = outcome }
            return outcomes.map { $0! }
        }
    }

    /// Row counts of the four tables for query ids starting with `prefix`.
    static func counts(prefix: String, on connection: PostgresConnection) async throws -> [String: Int] {
        let rows = try await connection.query(
            """
            SELECT (SELECT count(*) FROM hops WHERE query_id LIKE $1) AS hops,
                   (SELECT count(*) FROM queries WHERE id LIKE $1) AS queries,
                   (SELECT count(*) FROM results WHERE query_id LIKE $1) AS results,
                   (SELECT count(*) FROM dead_letters WHERE query_id LIKE $1) AS dead_letters
            """, [.string(prefix + "%")])
        let row = rows[0]
        return [
            "hops": try row.int("hops") ?? -1, "queries": try row.int("queries") ?? -1,
            "results": try row.int("results") ?? -1, "dead_letters": try row.int("dead_letters") ?? -1,
        ]
    }
}
