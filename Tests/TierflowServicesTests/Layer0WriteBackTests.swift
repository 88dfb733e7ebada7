import Foundation
import Testing
import TierflowCore
import TierflowPipeline
import TierflowPostgres

@testable import TierflowServices

/// Answers becoming cache entries: the evaluator's write-back and `tierflow kb promote`, on the real database.
@Suite("Layer 0 cache write-back", .serialized, .enabled(if: liveServices))
struct Layer0WriteBackTests {
    static func config(allowSimulated: Bool) throws -> PipelineConfig {
        try PipelineConfig.parse(yaml: """
            namespace: tierflow.writeback
            broker: {url: "amqp://u:p@127.0.0.1:1/v"}
            database: {url: "postgresql://u:p@127.0.0.1:1/d"}
            layer0: {cache: {enabled: true, min_confidence: 0.85, ttl_seconds: 600, allow_simulated: \(allowSimulated)}}
            tiers:
              - {name: edge, backend: simulated, model: small, price: {input: 0, output: 0}, confidence_threshold: 0.6}
              - {name: gpu, backend: simulated, model: big, price: {input: 0, output: 0}, confidence_threshold: 0.6}
            """)
    }

    func chat(_ text: String) -> QueryPayload { .chat(ChatRequest(messages: [.init(role: "user", content: text)])) }

    /// An envelope whose edge attempt the evaluator scores as `confident` or not.
    func message(_ id: String, _ question: String, simulated: Bool, confident: Bool) -> IncomingMessage {
        let attempt = TierAttempt(
            tier: "edge", model: simulated ? "simulated/edge" : "qwen", answer: "Replace the bearing on the pump.",
            finishReason: "stop", meanLogprob: confident ? -0.05 : -1.2, minLogprob: confident ? -0.5 : -6, simulated: simulated)
        let envelope = QueryEnvelope(
            id: id, source: .chat, receivedAt: Date(), payload: chat(question), tier: "edge", history: [attempt])
        return IncomingMessage(body: EnvelopeCodec().encode(envelope))
    }

    func key(_ question: String) throws -> String {
        try CacheWritePolicy().entry(payload: chat(question), answer: "x", derivedFrom: "", source: nil, now: Date()).get().key
    }

    @Test func onlyConfidentRealAnswersAreCachedUnlessSimulatedIsAllowed() async throws {
        let tag = UUID().uuidString
        let writer = Layer0CacheWriter(configuration: KnowledgeBaseLiveTests.worker, logger: PipelineHarness.logger)
        let running = Task { try await writer.run() }
        let strict = EvaluatorStage(config: try Self.config(allowSimulated: false), cache: writer)
        let demo = EvaluatorStage(config: try Self.config(allowSimulated: true), cache: writer)
        let questions = (1...4).map { "Which sensor is most relevant to bearing wear on pump \($0) in test \(tag)?" }

        let simulatedStrict = try await strict.handle(message("wb-\(tag)-1", questions[0], simulated: true, confident: true))
        let unsure = try await demo.handle(message("wb-\(tag)-2", questions[1], simulated: false, confident: false))
        let real = try await strict.handle(message("wb-\(tag)-3", questions[2], simulated: false, confident: true))
        let simulatedDemo = try await demo.handle(message("wb-\(tag)-4", questions[3], simulated: true, confident: true))

        let connection = try await PostgresConnection.connect(configuration: KnowledgeBaseLiveTests.owner, logger: PipelineHarness.logger)
        let store = KnowledgeBaseStore(connection: connection)
        // Entries are written in the order offered: once the last one is in, any earlier one would be too.
        let deadline = ContinuousClock.now + .seconds(15)
        var last: KnowledgeEntry?
        while last == nil && ContinuousClock.now < deadline {
            last = try await store.entry(key: try key(questions[3]))
            if last == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        let stored = try await questions.asyncMap { try await store.entry(key: try key($0)) }
        running.cancel()
        _ = try? await running.value
        for question in questions { try await store.delete(key: try key(question)) }
        await connection.close()

        #expect(simulatedStrict.writes.first { $0.hop.stage == "evaluator" }?.hop.decision == "accept")
        #expect(unsure.writes.first { $0.hop.stage == "evaluator" }?.hop.decision == "escalate:gpu")
        #expect(real.writes.first { $0.hop.stage == "evaluator" }?.hop.decision == "accept")
        #expect(simulatedDemo.writes.first { $0.hop.stage == "evaluator" }?.hop.decision == "accept")
        #expect(stored[0] == nil)  // simulated, not allowed
        #expect(stored[1] == nil)  // low confidence: escalated
        #expect(stored[2]?.kind == "cache")
        #expect(stored[2]?.derivedFrom == "wb-\(tag)-3")
        #expect(stored[2]?.validUntil.map { $0 > Date() } == true)
        #expect(stored[3]?.source?.contains("simulated") == true)  // allowed by configuration, and labelled
    }

    @Test func promoteTakesPositiveFeedbackAndRefusesWeakResults() async throws {
        let tag = UUID().uuidString
        let connection = try await PostgresConnection.connect(configuration: KnowledgeBaseLiveTests.owner, logger: PipelineHarness.logger)
        func seed(_ name: String, confidence: Double, low: Bool, simulated: Bool, rating: Int? = nil, corrected: String? = nil) async throws -> String {
            let id = "promote-\(name)-\(tag)"
            let payload = String(decoding: EnvelopeCodec().encode(chat("How do I fix \(name) on pump unit \(tag)?")), as: UTF8.self)
            try await connection.execute(
                "INSERT INTO queries (id, source, received_at, payload) VALUES ($1, 'chat', now(), $2::jsonb)", [.string(id), .json(payload)])
            try await connection.execute(
                """
                INSERT INTO results (query_id, source, layer, tier, model, answer, confidence, low_confidence, simulated)
                VALUES ($1, 'chat', 1, 'edge', 'm', 'Tighten the gland.', $2, $3, $4)
                """,
                [.string(id), .double(confidence), .bool(low), .bool(simulated)])
            if let rating {
                try await connection.execute(
                    "INSERT INTO feedback (query_id, rating, corrected_answer) VALUES ($1, $2, $3)",
                    [.string(id), .int(rating), .string(corrected)])
            }
            return id
        }
        let accepted = try await seed("accepted", confidence: 0.95, low: false, simulated: false)
        let weak = try await seed("weak", confidence: 0.4, low: true, simulated: false)
        let corrected = try await seed("corrected", confidence: 0.4, low: true, simulated: true, rating: 1, corrected: "Replace the packing.")
        let simulated = try await seed("simulated", confidence: 0.99, low: false, simulated: true)
        let rejected = try await seed("rejected", confidence: 0.99, low: false, simulated: false, rating: -1)
        let promotion = KnowledgeBasePromotion(connection: connection, policy: CacheWritePolicy())

        let fromResult = try await promotion.promote(queryId: accepted)
        let fromFeedback = try await promotion.promote(queryId: corrected)
        var refusals: [String: KnowledgeBaseError.Code] = [:]
        for id in [weak, simulated, rejected, "promote-missing-\(tag)"] {
            do {
                try await promotion.promote(queryId: id)
            } catch let error as KnowledgeBaseError {
                refusals[id] = error.code
            }
        }
        let forced = try await promotion.promote(queryId: weak, force: true)
        let store = KnowledgeBaseStore(connection: connection)
        let storedFeedback = try await store.entry(key: fromFeedback.key)
        for entry in [fromResult, fromFeedback, forced] { try await store.delete(key: entry.key) }
        for id in [accepted, weak, corrected, simulated, rejected] {
            try await connection.execute("DELETE FROM feedback WHERE query_id = $1", [.string(id)])
            try await connection.execute("DELETE FROM results WHERE query_id = $1", [.string(id)])
            try await connection.execute("DELETE FROM queries WHERE id = $1", [.string(id)])
        }
        await connection.close()

        #expect(fromResult.answer == "Tighten the gland.")
        #expect(fromResult.derivedFrom == accepted)
        #expect(fromResult.kind == "cache")
        #expect(storedFeedback?.answer == "Replace the packing.")
        #expect(refusals[weak] == .notEligible)
        #expect(refusals[simulated] == .notEligible)
        #expect(refusals[rejected] == .notEligible)
        #expect(refusals["promote-missing-\(tag)"] == .notFound)
        #expect(forced.answer == "Tighten the gland.")
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
