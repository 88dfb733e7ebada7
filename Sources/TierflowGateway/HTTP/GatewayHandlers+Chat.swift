import Foundation
import HTTPTypes
import Hummingbird
import TierflowCore
import TierflowPipeline

extension GatewayHandlers {
    /// `POST /v1/chat/completions`: the query goes through the pipeline; the answer comes back in OpenAI's
    /// format, whole or (with `stream: true`) as server-sent `chat.completion.chunk` events.
    func chatCompletions(_ request: Request) async throws -> Response {
        let principal = try await admit(request)
        let idempotencyKey = try Self.idempotencyKey(in: request.headers)
        let now = Date()
        // Without an idempotency key the budget is checked first; with one, only a request that publishes checks it.
        let spent = try idempotencyKey == nil || idempotency == nil ? checkBudget(principal, now: now) : 0
        let chat = try decode(OpenAIChatRequest.self, from: try await body(of: request))
        try validate(chat)
        let policy = try policy(chat.model)
        let answer: ChatAnswer
        if let idempotencyKey, let idempotency {
            answer = try await idempotentAnswer(
                chat, policy: policy, principal: principal, key: idempotencyKey, store: idempotency, now: now)
        } else {
            let envelope = makeEnvelope(chat.chatRequest(model: policy.name), policy: policy, principal: principal, spent: spent, now: now)
            let result = try await dispatcher.answer(envelope, timeout: requestTimeout)
            ledger.record(keyId: principal.keyId, costUSD: result.costUSD)
            let completion = OpenAIChatCompletion(result: result, policy: policy)
            answer = ChatAnswer(completion: completion, body: codec.encode(completion), replayed: false)
        }
        var headers = Self.tierflowHeaders(answer.completion.tierflow)
        if answer.replayed, let name = HTTPField.Name("Idempotent-Replayed") { headers[name] = "true" }
        guard chat.stream == true else {
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
        }
        return stream(answer.completion, headers: headers, includeUsage: chat.streamOptions?.includeUsage == true)
    }

    /// `gateway.request_timeout_seconds` as a duration.
    var requestTimeout: Duration { .milliseconds(Int(gateway.requestTimeoutSeconds * 1000)) }

    /// Refuses what the pipeline cannot answer: no messages, unknown roles, an empty last message, n > 1.
    func validate(_ chat: OpenAIChatRequest) throws(GatewayError) {
        guard !chat.messages.isEmpty else {
            throw .badRequest("'messages' must contain at least one message.", code: "invalid_request", param: "messages")
        }
        for (index, message) in chat.messages.enumerated() where !OpenAIChatRequest.roles.contains(message.role) {
            throw .badRequest(
                "Invalid value for 'messages[\(index)].role': \"\(message.role)\".", code: "invalid_value", param: "messages[\(index)].role")
        }
        guard let last = chat.messages.last, last.content.contains(where: { !$0.isWhitespace }) else {
            throw .badRequest("The last message has no content.", code: "invalid_request", param: "messages")
        }
        if let n = chat.n, n != 1 {
            throw .badRequest("Only n = 1 is supported.", code: "invalid_value", param: "n")
        }
    }

    /// The envelope for a chat request: a fresh `chat-` id (or `id`), the policy's quality target, a deadline
    /// inside the gateway's timeout and a spend cap no larger than what is left of the key's daily budget.
    func makeEnvelope(
        _ chat: ChatRequest, policy: RoutingPolicy, principal: Principal, spent: Double, now: Date, id: String? = nil
    ) -> QueryEnvelope {
        let id = id ?? "chat-" + Self.randomHex(bytes: 12)
        let seconds = min(config.ingest.defaultDeadlineSeconds, gateway.requestTimeoutSeconds * 0.8)
        var maxCost = config.evaluator.maxCostPerQueryUSD
        if principal.dailyBudgetUSD > 0 { maxCost = min(maxCost, max(0, principal.dailyBudgetUSD - spent)) }
        return QueryEnvelope(
            id: id, source: .chat, receivedAt: now, deadline: now.addingTimeInterval(seconds), priority: .live,
            payload: .chat(chat), maxCostUSD: maxCost, qualityTarget: policy.qualityTarget)
    }

    /// `bytes` random bytes from the system's secure generator, as hex (one system call per 8 bytes).
    static func randomHex(bytes: Int) -> String {
        var random = SystemRandomNumberGenerator()
        var out: [UInt8] = []
        out.reserveCapacity(bytes + 7)
        while out.count < bytes {
            let word: UInt64 = random.next()
            for shift in stride(from: 0, to: 64, by: 8) { out.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        return SHA256.hexString(Array(out.prefix(bytes)))
    }

    /// `x-tierflow-*` headers: layer, tier, confidence, escalations, cost, simulated, query id.
    static func tierflowHeaders(_ extra: TierflowExtra) -> HTTPFields {
        var headers: HTTPFields = [:]
        func set(_ name: String, _ value: String) {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        set("x-tierflow-query-id", extra.queryId)
        set("x-tierflow-layer", String(extra.layer))
        set("x-tierflow-tier", extra.tier ?? "knowledge-base")
        set("x-tierflow-confidence", extra.confidence.map { $0.fixed(4) } ?? "")
        set("x-tierflow-escalations", String(extra.escalations))
        set("x-tierflow-cost-usd", extra.costUSD.fixed(8))
        set("x-tierflow-ended-by", extra.endedBy)
        set("x-tierflow-simulated", extra.simulated ? "true" : "false")
        return headers
    }

    /// Server-sent events: one `data:` line per chunk, then `data: [DONE]`.
    func stream(_ completion: OpenAIChatCompletion, headers: HTTPFields, includeUsage: Bool) -> Response {
        var headers = headers
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        let chunks = OpenAIChatChunk.chunks(of: completion, pieceLength: gateway.streamChunkCharacters, includeUsage: includeUsage)
        var events: [ByteBuffer] = chunks.map { chunk in
            ByteBuffer(bytes: Array("data: ".utf8) + codec.encode(chunk) + Array("\n\n".utf8))
        }
        events.append(ByteBuffer(string: "data: [DONE]\n\n"))
        let body = ResponseBody { [events] writer in
            for event in events { try await writer.write(event) }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }
}
