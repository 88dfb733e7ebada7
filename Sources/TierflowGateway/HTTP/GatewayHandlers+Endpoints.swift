import Foundation
import Hummingbird
import TierflowCore

/// `POST /v1/feedback` body.
struct FeedbackRequest: Decodable, Sendable {
    var queryId: String
    var rating: Int
    var correctedAnswer: String?
    var promote: Bool?

    enum CodingKeys: String, CodingKey {
        case queryId = "query_id", rating, correctedAnswer = "corrected_answer", promote
    }
}

/// `POST /v1/feedback` answer.
struct FeedbackResponse: Encodable, Sendable {
    var object = "tierflow.feedback"
    var id: Int
    var queryId: String
    var rating: Int
    var promoted: Bool
    var knowledgeKey: String?

    enum CodingKeys: String, CodingKey {
        case object, id, queryId = "query_id", rating, promoted, knowledgeKey = "kb_key"
    }
}

extension GatewayHandlers {
    /// `GET /v1/models`: the routing policies.
    func models(_ request: Request) async throws -> Response {
        _ = try await admit(request)
        return json(OpenAIModelList(ids: RoutingPolicy.listed(scorerName: advisor.scorerName, defaultTarget: config.router.qualityTarget)))
    }

    /// `POST /v1/route`: the routing decision for chat messages, without generation; nothing is published.
    func route(_ request: Request) async throws -> Response {
        let principal = try await admit(request)
        let chat = try decode(OpenAIChatRequest.self, from: try await body(of: request))
        try validate(chat)
        let policy = try policy(chat.model)
        let now = Date()
        let envelope = makeEnvelope(chat.chatRequest(model: policy.name), policy: policy, principal: principal, spent: 0, now: now)
        return json(advisor.decide(envelope, policy: policy, now: now))
    }

    /// `POST /v1/feedback`: a rating (and correction) for an answered query, stored for retraining; with
    /// `promote: true` the correction becomes a knowledge-base entry.
    func feedback(_ request: Request) async throws -> Response {
        let principal = try await admit(request)
        let input = try decode(FeedbackRequest.self, from: try await body(of: request))
        guard !input.queryId.isEmpty else { throw GatewayError.badRequest("'query_id' must not be empty.", param: "query_id") }
        guard (-1...1).contains(input.rating) else {
            throw GatewayError.badRequest("'rating' must be -1, 0 or 1.", code: "invalid_value", param: "rating")
        }
        let correction = input.correctedAnswer?.trimmingCharacters(in: .whitespacesAndNewlines)
        let promote = input.promote ?? false
        if promote, correction?.isEmpty ?? true {
            throw GatewayError.badRequest("'promote' needs a non-empty 'corrected_answer'.", code: "invalid_value", param: "corrected_answer")
        }
        let receipt = try await store.storeFeedback(
            Feedback(
                queryId: input.queryId, rating: input.rating, correctedAnswer: correction?.isEmpty == false ? correction : nil,
                promote: promote, keyId: principal.keyId == Principal.anonymousId ? nil : principal.keyId))
        return json(
            FeedbackResponse(
                id: receipt.id, queryId: input.queryId, rating: input.rating, promoted: receipt.knowledgeKey != nil,
                knowledgeKey: receipt.knowledgeKey))
    }

    /// `GET /health`: no key needed.
    func health(_ request: Request) -> Response {
        json(["status": "ok"])
    }
}
