import Foundation
import TierflowCore
import TierflowPipeline
import TierflowPostgres

/// The rows and messages that make a result final: the `results` row and its `result` hop, the
/// message on the results exchange, and the reply to the caller's queue when it asked for one.
///
/// The answer is stored once, in the `results` row: the `result` hop records the decision, confidence and
/// model but leaves `output` empty (a redelivered message is finalised again from its envelope, never
/// from a stored output).
struct ResultPublications {
    let topology: PipelineTopology
    let codec: EnvelopeCodec
    let stamp: HopStamp

    func finalise(_ result: ResultMessage, envelope: QueryEnvelope, started: Date) -> (write: HopWrite, publications: [Publication]) {
        let body = codec.encode(result)
        let hop = stamp.hop(
            result.queryId, stage: "result", started: started, decision: result.endedBy, score: result.confidence,
            model: result.model, costUSD: 0)
        var publications = [
            Publication(
                exchange: topology.resultsExchange, routingKey: result.routingKey, body: body, messageId: result.queryId,
                type: "result")
        ]
        if let reply = envelope.reply {
            // The default exchange routes by queue name; mandatory so a vanished caller is noticed, not an error.
            publications.append(
                Publication(
                    exchange: "", routingKey: reply.replyTo, body: body, messageId: result.queryId,
                    correlationId: reply.correlationId, type: "result", mandatory: true))
        }
        return (HopWrite(hop: hop, result: result.resultRecord(codec: codec)), publications)
    }
}
