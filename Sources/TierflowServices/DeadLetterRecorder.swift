import Foundation
import TierflowCore
import TierflowPostgres

/// Records every message that reaches the dead-letter queue, with its reason, in `dead_letters`.
///
/// Stages park unusable messages with an `x-tierflow-reason` header; the broker dead-letters a
/// message on its own after the queue's delivery limit (a crash loop) and says so in
/// `x-first-death-reason`. Either way one row per message id is written (replays change nothing).
public struct DeadLetterRecorder: StageHandler {
    public let stage = "dead_letter"
    let stamp = HopStamp(stage: "dead_letter")

    public init() {}

    public func handle(_ message: IncomingMessage) async throws -> StageOutcome {
        let started = Date()
        let messageId = message.messageId ?? "body-" + StableHash.hex(String(decoding: message.body, as: UTF8.self))
        let queue = message.headers["x-tierflow-queue"] ?? message.headers["x-first-death-queue"] ?? "unknown"
        let reason: String
        if let parked = message.headers["x-tierflow-reason"] {
            reason = parked
        } else if let death = message.headers["x-first-death-reason"] {
            reason = death == "delivery_limit" || death == "rejected"
                ? "\(death): delivered too often without being settled (crash loop or repeated failure)" : death
        } else {
            reason = "dead-lettered without a reason"
        }
        // Parked messages carry their query id; one the broker dead-lettered (delivery limit) is read for it.
        let queryId = message.headers["x-tierflow-query-id"] ?? message.queryIdHint
        let headers = EnvelopeCodec().jsonText(message.headers.mapValues(TextSanitiser.clean))
        let record = DeadLetterRecord(
            messageId: messageId, queryId: queryId, queue: queue, reason: TextSanitiser.clean(reason), body: message.body,
            headers: headers)
        let hop = stamp.hop(
            queryId ?? "dead:\(messageId)", stage: "dead_letter", started: started,
            decision: message.headers["x-tierflow-reason-code"] ?? "dead_letter", error: reason)
        return StageOutcome(writes: [HopWrite(hop: hop, deadLetter: record)])
    }
}
