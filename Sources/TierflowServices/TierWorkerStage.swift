import Foundation
import Logging
import TierflowCore
import TierflowMetrics
import TierflowPipeline
import TierflowPostgres

/// Calls one tier's model for each query addressed to it and passes the answer to the evaluator.
///
/// A failed call (after the backend's retries) is still an attempt: it carries the error and the
/// evaluator escalates it. When the broker redelivers a message whose answer is already logged,
/// the logged answer is used again instead of calling the model twice.
public struct TierWorkerStage: StageHandler {
    public let stage = "tier"
    let tier: TierConfig
    let backend: any LLMBackend
    let prompts: PromptBuilder
    let writer: HopLogWriter
    let topology: PipelineTopology
    let codec: EnvelopeCodec
    let stamp: HopStamp
    let logger: Logger
    let usage: BackendMetrics
    public var metricsTier: String? { tier.name }

    public init(config: PipelineConfig, tier: TierConfig, backend: any LLMBackend, writer: HopLogWriter, logger: Logger) {
        self.tier = tier
        self.backend = backend
        prompts = PromptBuilder(templates: config.templates)
        self.writer = writer
        topology = PipelineTopology(config: config)
        codec = EnvelopeCodec(maxMessageBytes: config.queues.maxMessageBytes)
        stamp = HopStamp(stage: "tier", tier: tier.name)
        self.logger = logger
        usage = BackendMetrics(tier: tier.name)
    }

    public func handle(_ message: IncomingMessage) async throws -> StageOutcome {
        let started = Date()
        var envelope = try codec.decodeEnvelope(message.body)
        guard envelope.tier == tier.name else {
            return .rejected(MessageRejection(.invalidField, "tier: addressed to \"\(envelope.tier ?? "none")\", consumed by tier \"\(tier.name)\""))
        }

        var attempt: TierAttempt?
        if message.redelivered,
            let stored = try await writer.existingHop(queryId: envelope.id, stage: "tier", tier: tier.name, attempt: envelope.attempt),
            let output = stored.output
        {
            attempt = try? codec.decode(TierAttempt.self, from: Array(output.utf8))
        }
        let reused = attempt != nil
        let answered: TierAttempt
        if let attempt {
            answered = attempt
        } else {
            answered = try await call(envelope)
            FaultInjection.reach(.afterLLM)
        }
        envelope.history.append(answered)

        let hop = stamp.hop(
            envelope.id, stage: "tier", tier: tier.name, attempt: envelope.attempt, started: started,
            decision: answered.error == nil ? "answered" : "failed", model: answered.model, tokensIn: answered.tokensIn,
            tokensOut: answered.tokensOut, costUSD: reused ? 0 : answered.costUSD, error: answered.error,
            detail: answered.simulated ? #"{"simulated":true}"# : nil, output: codec.jsonText(answered))
        let next = Publication(
            exchange: topology.workExchange, routingKey: PipelineTopology.laneKey(PipelineTopology.evaluatorKey, envelope.priority), body: codec.encode(envelope),
            messageId: "\(envelope.id)/evaluator/\(envelope.attempt)", type: "envelope")
        return StageOutcome(writes: [HopWrite(hop: hop)], publications: [next])
    }

    private func call(_ envelope: QueryEnvelope) async throws -> TierAttempt {
        let prompt = prompts.prompt(for: envelope, askForConfidence: tier.askForConfidence, maxTokens: tier.maxOutputTokens)
        let clock = ContinuousClock()
        let start = clock.now
        do {
            let answer: BackendAnswer
            if let resilient = backend as? ResilientBackend {
                // Retries stop at the query's deadline rather than waiting past it.
                let deadline = envelope.deadline.map { clock.now.advanced(by: .milliseconds(Int($0.timeIntervalSinceNow * 1000))) }
                answer = try await resilient.completion(prompt, tier: tier, deadline: deadline).answer
            } else {
                answer = try await backend.complete(prompt, tier: tier)
            }
            let elapsed = start.duration(to: clock.now)
            let cost = tier.price.cost(inputTokens: answer.tokensIn, outputTokens: answer.tokensOut)
            usage.usage(tokensIn: answer.tokensIn, tokensOut: answer.tokensOut, costUSD: cost)
            return TierAttempt(
                tier: tier.name, model: answer.model, answer: TextSanitiser.clean(answer.text),
                costUSD: cost,
                tokensIn: answer.tokensIn, tokensOut: answer.tokensOut, latencyMilliseconds: elapsed.milliseconds,
                finishReason: answer.finishReason, meanLogprob: answer.meanLogprob, minLogprob: answer.minLogprob,
                simulated: answer.simulated)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            logger.warning("backend call failed", metadata: ["query.id": "\(envelope.id)", "tier.name": "\(tier.name)", "error": "\(error)"])
            return TierAttempt(
                tier: tier.name, model: tier.model, answer: "", latencyMilliseconds: start.duration(to: clock.now).milliseconds,
                simulated: tier.isSimulated, error: TextSanitiser.clean("\(error)"))
        }
    }
}

extension Duration {
    /// The duration in (fractional) milliseconds.
    var milliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }
}
