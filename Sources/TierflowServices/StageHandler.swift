import Foundation
import TierflowCore
import TierflowPostgres

/// A message as a stage sees it: body and the AMQP properties stages use.
public struct IncomingMessage: Sendable {
    public var body: [UInt8]
    public var messageId: String?
    public var correlationId: String?
    public var replyTo: String?
    public var type: String?
    /// The broker delivered it before (a consumer died or the connection dropped before the ack).
    public var redelivered: Bool
    public var headers: [String: String]

    public init(
        body: [UInt8], messageId: String? = nil, correlationId: String? = nil, replyTo: String? = nil, type: String? = nil,
        redelivered: Bool = false, headers: [String: String] = [:]
    ) {
        self.body = body
        self.messageId = messageId
        self.correlationId = correlationId
        self.replyTo = replyTo
        self.type = type
        self.redelivered = redelivered
        self.headers = headers
    }
}

/// A message a stage publishes once its hop is committed.
public struct Publication: Sendable, Hashable {
    public var exchange: String
    public var routingKey: String
    public var body: [UInt8]
    /// Deterministic, so a replayed hop publishes the same id and consumers can drop repeats.
    public var messageId: String
    public var correlationId: String?
    public var type: String?
    public var headers: [String: String]
    /// Ask the broker to return it when no queue takes it.
    public var mandatory: Bool

    public init(
        exchange: String, routingKey: String, body: [UInt8], messageId: String, correlationId: String? = nil,
        type: String? = nil, headers: [String: String] = [:], mandatory: Bool = false
    ) {
        self.exchange = exchange
        self.routingKey = routingKey
        self.body = body
        self.messageId = messageId
        self.correlationId = correlationId
        self.type = type
        self.headers = headers
        self.mandatory = mandatory
    }
}

/// What a stage decided for one message: rows to commit, then messages to publish — or a rejection.
public struct StageOutcome: Sendable {
    /// Committed together before anything is published; the first is the hop that makes the message's
    /// work idempotent.
    public var writes: [HopWrite]
    public var publications: [Publication]
    /// Set when the message is unusable: it goes to the dead-letter exchange with this reason.
    public var rejection: MessageRejection?

    public init(writes: [HopWrite] = [], publications: [Publication] = [], rejection: MessageRejection? = nil) {
        self.writes = writes
        self.publications = publications
        self.rejection = rejection
    }

    public static func rejected(_ rejection: MessageRejection) -> StageOutcome {
        StageOutcome(rejection: rejection)
    }
}

/// One stage's logic: turn a message into an outcome. The ``StageRunner`` does the rest.
///
/// A handler that throws a `MessageRejection` (from decoding, say) has the message dead-lettered with
/// that reason, as if it had returned ``StageOutcome/rejected(_:)``; any other error is retried.
public protocol StageHandler: Sendable {
    /// The stage name in logs and the hop log.
    var stage: String { get }
    /// Whether outputs may be published only once the hop is committed and found new.
    ///
    /// Stages where duplicates enter the pipeline (ingest: repeated events, alarm floods) need this: a
    /// duplicate must stop there rather than cost a model call downstream. So does the stage that publishes
    /// final results (the evaluator): a duplicate input that differs (a model asked twice after a crash)
    /// must not publish a second, different result. Other stages publish while
    /// their hop commits, which saves a commit's latency per hop; the input is still acknowledged only
    /// after both, so nothing is lost, and a rare duplicate (after a crash or reconnect) is dropped by the
    /// next stage's hop key.
    var publishesAfterCommit: Bool { get }
    /// The tier this handler serves, as its metrics' `tier` label (nil: the stage serves every tier).
    var metricsTier: String? { get }
    func handle(_ message: IncomingMessage) async throws -> StageOutcome
}

extension StageHandler {
    public var publishesAfterCommit: Bool { false }
    public var metricsTier: String? { nil }
}
