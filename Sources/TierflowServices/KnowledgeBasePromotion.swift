import Foundation
import TierflowCore
import TierflowPipeline
import TierflowPostgres

/// Turns a finished query into a Layer 0 cache entry: its result, or the corrected answer of its latest
/// feedback.
///
/// Positive feedback (rating 1) is enough on its own; a corrected answer is a person's answer and is
/// taken whatever the result was. Without feedback the result must clear the cache policy (accepted, at
/// least `min_confidence`, not simulated unless allowed) or the caller must force it. Negative feedback
/// without a correction refuses. A result answered at Layer 0 from a curated entry is cached as derived
/// from that entry, so editing the entry invalidates it.
public struct KnowledgeBasePromotion: Sendable {
    let connection: PostgresConnection
    let policy: CacheWritePolicy
    let codec = EnvelopeCodec()

    public init(connection: PostgresConnection, policy: CacheWritePolicy) {
        self.connection = connection
        self.policy = policy
    }

    /// Writes the cache entry for `queryId` and returns it.
    @discardableResult
    public func promote(queryId: String, force: Bool = false, now: Date = Date()) async throws -> KnowledgeEntry {
        let rows = try await connection.query(
            """
            SELECT q.payload::text AS payload, r.answer, r.layer, r.confidence, r.low_confidence, r.simulated, r.tier, r.model,
                   (SELECT h.detail->>'entry' FROM hops h
                     WHERE h.query_id = r.query_id AND h.stage = 'layer0' AND h.decision = 'hit' LIMIT 1) AS kb_entry,
                   f.rating, f.corrected_answer
            FROM results r JOIN queries q ON q.id = r.query_id
            LEFT JOIN LATERAL (SELECT rating, corrected_answer FROM feedback WHERE query_id = r.query_id
                               ORDER BY created_at DESC, id DESC LIMIT 1) f ON true
            WHERE r.query_id = $1
            """,
            [.string(queryId)])
        guard let row = rows.first else {
            throw KnowledgeBaseError(code: .notFound, message: "no result for query \(queryId)")
        }
        guard let payloadText = try row.string("payload"),
            let payload = try? codec.decode(QueryPayload.self, from: Array(payloadText.utf8))
        else {
            throw KnowledgeBaseError(code: .notEligible, message: "query \(queryId) has no readable payload")
        }
        let rating = try row.int("rating")
        let corrected = try row.string("corrected_answer").flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }
        let answer: String
        let reason: String
        if let corrected {
            answer = corrected
            reason = "corrected answer in feedback"
        } else if rating == -1 {
            throw KnowledgeBaseError(code: .notEligible, message: "query \(queryId) has negative feedback and no corrected answer")
        } else {
            answer = try row.string("answer") ?? ""
            let simulated = try row.bool("simulated") ?? false
            if simulated && !policy.allowSimulated {
                throw KnowledgeBaseError(code: .notEligible, message: "the answer to \(queryId) came from the simulated backend (layer0.cache.allow_simulated is off)")
            }
            if rating == 1 {
                reason = "positive feedback"
            } else {
                let confidence = try row.double("confidence") ?? 0
                let low = try row.bool("low_confidence") ?? true
                guard force || (!low && confidence >= policy.minConfidence) else {
                    throw KnowledgeBaseError(
                        code: .notEligible,
                        message: "the result of \(queryId) has confidence \(confidence)\(low ? " (low)" : "") below layer0.cache.min_confidence \(policy.minConfidence) and no positive feedback (use --force)")
                }
                reason = force ? "forced" : "accepted result"
            }
        }
        let layer = try row.int("layer") ?? 0
        let derivedFrom = layer == 0 ? (try row.string("kb_entry") ?? queryId) : queryId
        switch policy.entry(payload: payload, answer: answer, derivedFrom: derivedFrom, source: "promoted from \(queryId) (\(reason))", now: now) {
        case .success(let entry):
            try await KnowledgeBaseStore(connection: connection).upsertCache([entry])
            return entry
        case .failure(let refusal):
            throw KnowledgeBaseError(code: .notEligible, message: "query \(queryId) cannot be cached: \(refusal.rawValue)")
        }
    }

    /// Promotes every query whose latest feedback is positive (or corrected) and that has no cache entry yet;
    /// returns the entries written.
    public func promotePositiveFeedback(now: Date = Date()) async throws -> [KnowledgeEntry] {
        let rows = try await connection.query(
            """
            SELECT DISTINCT f.query_id FROM feedback f
            WHERE (f.rating = 1 OR f.corrected_answer IS NOT NULL)
              AND NOT EXISTS (SELECT 1 FROM kb_entries k
                              WHERE k.kind = 'cache' AND position(('promoted from ' || f.query_id || ' (') IN k.source) = 1)
            ORDER BY f.query_id
            """)
        var promoted: [KnowledgeEntry] = []
        for row in rows {
            guard let queryId = try row.string("query_id") else { continue }
            if let entry = try? await promote(queryId: queryId, now: now) { promoted.append(entry) }
        }
        return promoted
    }
}

/// A knowledge-base operation that could not be done.
public struct KnowledgeBaseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The class of failure.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// No such entry, query or result.
        public static let notFound = Code("not_found")
        /// The query's answer may not be cached.
        public static let notEligible = Code("not_eligible")
        public var description: String { name }
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
