import Foundation
import HTTPTypes
import Hummingbird
import Logging
import TierflowCore
import TierflowPipeline

/// What every endpoint shares: authentication, rate limiting, body limits, JSON in and out.
public struct GatewayHandlers: Sendable {
    let config: PipelineConfig
    let dispatcher: any QueryDispatcher
    let keys: APIKeyRegistry
    let limiter: any RequestLimiter
    let ledger: SpendLedger
    /// Where `Idempotency-Key`s are kept; nil (tests with a fake pipeline only) ignores the header after checking it.
    let idempotency: (any IdempotencyStore)?
    let store: any GatewayStore
    let advisor: RouteAdvisor
    let codec: EnvelopeCodec
    let logger: Logger

    public init(
        config: PipelineConfig, dispatcher: any QueryDispatcher, keys: APIKeyRegistry,
        limiter: any RequestLimiter = RateLimiter(), ledger: SpendLedger, store: any GatewayStore,
        idempotency: (any IdempotencyStore)? = nil, advisor: RouteAdvisor, logger: Logger
    ) {
        self.config = config
        self.dispatcher = dispatcher
        self.keys = keys
        self.limiter = limiter
        self.ledger = ledger
        self.store = store
        self.idempotency = idempotency
        self.advisor = advisor
        codec = EnvelopeCodec(maxMessageBytes: config.gateway.maxBodyBytes)
        self.logger = logger
    }

    var gateway: GatewayConfig { config.gateway }

    // MARK: Admission

    /// The key in `Authorization: Bearer …` (or `api-key` / `x-api-key`), if any.
    static func presentedKey(_ headers: HTTPFields) -> String? {
        if let authorization = headers[.authorization] {
            let trimmed = authorization.trimmingWhitespace()
            if trimmed.count > 7, trimmed.prefix(7).lowercased() == "bearer " {
                return trimmed.dropFirst(7).trimmingWhitespace()
            }
            return trimmed.isEmpty ? nil : trimmed
        }
        for name in ["api-key", "x-api-key"] {
            if let field = HTTPField.Name(name), let value = headers[field], !value.isEmpty { return value }
        }
        return nil
    }

    /// Authenticates the caller and takes a token from its rate limit.
    func admit(_ request: Request) async throws(GatewayError) -> Principal {
        let key = Self.presentedKey(request.headers)
        guard let principal = keys.authenticate(key) else { throw .unauthorized(missing: key == nil) }
        if case .limited(let seconds) = await limiter.acquire(keyId: principal.keyId, perMinute: principal.rateLimitPerMinute) {
            throw .rateLimited(retryAfter: seconds, perMinute: principal.rateLimitPerMinute)
        }
        return principal
    }

    /// Refuses a caller whose daily budget is spent; returns today's spend.
    func checkBudget(_ principal: Principal, now: Date) throws(GatewayError) -> Double {
        let spent = ledger.spent(keyId: principal.keyId, now: now)
        if principal.dailyBudgetUSD > 0, spent >= principal.dailyBudgetUSD {
            let secondsToMidnight = 86_400 - Int(now.timeIntervalSince1970.truncatingRemainder(dividingBy: 86_400))
            throw .budgetExceeded(spent: spent, budget: principal.dailyBudgetUSD, retryAfter: max(1, secondsToMidnight))
        }
        return spent
    }

    // MARK: Bodies

    /// The request body, refusing more than `gateway.max_body_bytes` with 413.
    func body(of request: Request) async throws -> [UInt8] {
        let limit = gateway.maxBodyBytes
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit {
            throw GatewayError.tooLarge(limit: limit)
        }
        var bytes: [UInt8] = []
        for try await chunk in request.body {
            guard bytes.count + chunk.readableBytes <= limit else { throw GatewayError.tooLarge(limit: limit) }
            bytes.append(contentsOf: chunk.readableBytesView)
        }
        return bytes
    }

    /// Decodes a JSON body as `T`; malformed input is a 400 naming the field.
    func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws(GatewayError) -> T {
        do {
            return try codec.decode(T.self, from: bytes)
        } catch {
            let code = error.code == .notJSON ? "invalid_json" : "invalid_request"
            let field = error.reason.split(separator: ":").first.map(String.init)
            let param = error.code == .invalidField && field?.contains(" ") == false ? field : nil
            let message = error.code == .notJSON ? "We could not parse the JSON body of your request." : error.reason
            throw .badRequest(message, code: code, param: param)
        }
    }

    /// A JSON response.
    func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: codec.encode(value))))
    }

    /// The OpenAI-style error response for `error`.
    func errorResponse(_ error: GatewayError) -> Response {
        var headers: HTTPFields = [:]
        if let seconds = error.retryAfterSeconds { headers[.retryAfter] = String(seconds) }
        if let retry = error.shouldRetry, let name = HTTPField.Name("x-should-retry") { headers[name] = retry ? "true" : "false" }
        return json(OpenAIErrorBody(error), status: error.status, headers: headers)
    }

    /// The routing policy `model` names, or 404.
    func policy(_ model: String?) throws(GatewayError) -> RoutingPolicy {
        guard let policy = RoutingPolicy.parse(model, config: gateway) else {
            throw .modelNotFound(model ?? "", known: [RoutingPolicy.defaultName, RoutingPolicy.qualityName])
        }
        return policy
    }
}
