import Foundation

/// Feedback on one answered query.
public struct Feedback: Sendable, Hashable {
    public var queryId: String
    /// -1 bad, 0 neutral, 1 good.
    public var rating: Int
    public var correctedAnswer: String?
    /// Make the correction a knowledge-base entry (needs `correctedAnswer`).
    public var promote: Bool
    /// The key that gave it (nil for anonymous callers).
    public var keyId: String?

    public init(queryId: String, rating: Int, correctedAnswer: String? = nil, promote: Bool = false, keyId: String? = nil) {
        self.queryId = queryId
        self.rating = rating
        self.correctedAnswer = correctedAnswer
        self.promote = promote
        self.keyId = keyId
    }
}

/// What storing feedback did.
public struct FeedbackReceipt: Sendable, Hashable {
    /// The `feedback` row's id.
    public var id: Int
    /// The `kb_entries` key the correction was promoted to, when it was.
    public var knowledgeKey: String?

    public init(id: Int, knowledgeKey: String?) {
        self.id = id
        self.knowledgeKey = knowledgeKey
    }
}

/// The gateway's durable state: keys, per-key spend and feedback.
public protocol GatewayStore: Sendable {
    /// Every key, disabled ones included.
    func loadKeys() async throws -> [APIKeyRecord]
    /// Spend per key on `day` (`YYYY-MM-DD`, UTC).
    func loadSpend(day: String) async throws -> [String: Double]
    /// Adds spend deltas (per key and day) in one transaction.
    func addSpend(_ deltas: [SpendLedger.Delta]) async throws
    /// Stores feedback (and promotes the correction); throws ``GatewayError`` 404 for an unknown query.
    func storeFeedback(_ feedback: Feedback) async throws -> FeedbackReceipt
}
