import Foundation
import TierflowCore
import TierflowPipeline
import TierflowPostgres

/// Reads routing traffic from the hop log: labelled examples for `tierflow router train --from-log`, and
/// recent routed queries for `tierflow router calibrate`.
public struct RouterTrafficLog: Sendable {
    /// A routed query: its id, what the router saw, and a token estimate of its prompt.
    public struct RoutedQuery: Sendable {
        public var id: String
        public var envelope: QueryEnvelope
        public var query: RouterQuery
    }

    let connection: PostgresConnection
    let labeler: HopLogLabeler

    public init(connection: PostgresConnection, labeler: HopLogLabeler = HopLogLabeler()) {
        self.connection = connection
        self.labeler = labeler
    }

    /// Queries received since `since` (newest first, at most `limit`) that have at least one label,
    /// as examples of dataset `hop-log` with one score per labelled tier.
    public func labelledExamples(since: Date, limit: Int) async throws -> [RoutingExample] {
        let rows = try await connection.query(
            """
            SELECT q.id, q.source, q.payload::text AS payload, r.tier AS final_tier,
                   (SELECT f.rating FROM feedback f WHERE f.query_id = q.id ORDER BY f.created_at DESC, f.id DESC LIMIT 1) AS rating,
                   (SELECT json_agg(json_build_object('tier', h.tier, 'attempt', h.attempt, 'decision', h.decision) ORDER BY h.attempt)::text
                      FROM hops h WHERE h.query_id = q.id AND h.stage = 'evaluator') AS evaluations
            FROM queries q LEFT JOIN results r ON r.query_id = q.id
            WHERE q.received_at >= $1 AND q.coalesced_into IS NULL
            ORDER BY q.received_at DESC, q.id
            LIMIT $2
            """,
            [.date(since), .int(limit)])
        let codec = EnvelopeCodec()
        var examples: [RoutingExample] = []
        for row in rows {
            guard let id = try row.string("id"), let payloadText = try row.string("payload"),
                let payload = try? codec.decode(QueryPayload.self, from: Array(payloadText.utf8))
            else { continue }
            let evaluations = try row.string("evaluations").flatMap {
                try? codec.decode([HopLogLabeler.Evaluation].self, from: Array($0.utf8))
            } ?? []
            let labels = labeler.labels(
                evaluations: evaluations, finalTier: try row.string("final_tier"), feedbackRating: try row.int("rating"))
            guard !labels.scores.isEmpty else { continue }
            examples.append(RoutingExample(
                id: id, dataset: "hop-log", category: try row.string("source"),
                query: RouterQuery(payload: payload, source: try row.string("source")), scores: labels.scores,
                labelWeights: labels.weights))
        }
        return examples
    }

    /// Queries the router routed since `since`, newest first, at most `limit`.
    public func routedQueries(since: Date, limit: Int) async throws -> [RoutedQuery] {
        let rows = try await connection.query(
            """
            SELECT q.id, q.source, q.received_at, q.payload::text AS payload
            FROM queries q
            WHERE q.received_at >= $1 AND q.coalesced_into IS NULL
              AND EXISTS (SELECT 1 FROM hops h WHERE h.query_id = q.id AND h.stage = 'router')
            ORDER BY q.received_at DESC, q.id
            LIMIT $2
            """,
            [.date(since), .int(limit)])
        let codec = EnvelopeCodec()
        return try rows.compactMap { row in
            guard let id = try row.string("id"), let payloadText = try row.string("payload"),
                let payload = try? codec.decode(QueryPayload.self, from: Array(payloadText.utf8)),
                let source = QueryEnvelope.Source(rawValue: try row.string("source") ?? "")
            else { return nil }
            let envelope = QueryEnvelope(
                id: id, source: source, receivedAt: try row.date("received_at") ?? Date(), payload: payload)
            return RoutedQuery(id: id, envelope: envelope, query: RouterQuery(envelope: envelope))
        }
    }
}
