import Foundation
import Testing

@testable import TierflowCore
@testable import TierflowPipeline

@Suite("Layer 0 matcher, cache policy and knowledge files")
struct Layer0MatcherTests {
    let now = Date()

    func chat(_ text: String, system: String? = nil) -> QueryPayload {
        .chat(ChatRequest(messages: (system.map { [.init(role: "system", content: $0)] } ?? []) + [.init(role: "user", content: text)]))
    }

    static let question = "Which sensor is most relevant to bearing wear in a pump?"

    @Test func expiredEntriesNeverHit() {
        let entry = KnowledgeEntry(key: "ttl", kind: "cache", question: Self.question, answer: "vibration", validUntil: now.addingTimeInterval(60))
        let matcher = Layer0Matcher(entries: [entry])
        #expect(matcher.match(chat(Self.question), now: now)?.entry.key == "ttl")
        #expect(matcher.match(chat(Self.question), now: now.addingTimeInterval(59))?.entry.key == "ttl")
        #expect(matcher.match(chat(Self.question), now: now.addingTimeInterval(60)) == nil)
        #expect(matcher.match(chat(Self.question), now: now.addingTimeInterval(3600)) == nil)
    }

    @Test func upsertReplacesAndRemoveForgets() {
        var matcher = Layer0Matcher(entries: [KnowledgeEntry(key: "k", question: Self.question, answer: "old")])
        matcher.upsert(KnowledgeEntry(key: "k", question: Self.question, answer: "new"))
        #expect(matcher.count == 1)
        #expect(matcher.match(chat(Self.question), now: now)?.entry.answer == "new")
        matcher.upsert(KnowledgeEntry(key: "k", question: "Which sensor is most relevant to misalignment in a fan?", answer: "moved"))
        #expect(matcher.match(chat(Self.question), now: now) == nil)
        matcher.remove(key: "k")
        #expect(matcher.count == 0)
        #expect(matcher.match(chat("Which sensor is most relevant to misalignment in a fan?"), now: now) == nil)
    }

    @Test func closeCandidatesWithDifferentAnswersAreAMiss() {
        let twin = "Which sensor is most relevant to bearing wear in a pump, in your view?"
        let ambiguous = Layer0Matcher(entries: [
            KnowledgeEntry(key: "a", question: Self.question, answer: "vibration"),
            KnowledgeEntry(key: "b", question: twin, answer: "oil debris"),
        ])
        #expect(ambiguous.match(chat(Self.question), settings: .init(threshold: 0.5, margin: 0.1), now: now) == nil)
        #expect(ambiguous.match(chat(Self.question), settings: .init(threshold: 0.5, margin: 0), now: now)?.entry.key == "a")
        let agreeing = Layer0Matcher(entries: [
            KnowledgeEntry(key: "a", question: Self.question, answer: "Vibration."),
            KnowledgeEntry(key: "b", question: twin, answer: "vibration"),
        ])
        #expect(agreeing.match(chat(Self.question), settings: .init(threshold: 0.5, margin: 0.1), now: now) != nil)
    }

    @Test func belowTheThresholdIsAMiss() {
        let matcher = Layer0Matcher(entries: [KnowledgeEntry(key: "k", question: Self.question, answer: "vibration")])
        let loose = "For maintenance planning on a pump with bearing wear, which of these sensors would a reliability engineer pick first?"
        let score = matcher.candidates(try! #require(matcher.analyzer.probe(chat(loose))), now: now).first?.score ?? 0
        #expect(score > 0)
        #expect(matcher.match(chat(loose), settings: .init(threshold: score + 0.01), now: now) == nil)
        #expect(matcher.match(chat(loose), settings: .init(threshold: score - 0.01), now: now) != nil)
    }

    @Test func conversationsAndSystemPromptsAreRespected() {
        let cached = KnowledgeEntry(key: "c", kind: "cache", question: Self.question, answer: "vibration")
        let curated = KnowledgeEntry(key: "k", question: "Which sensor is most relevant to misalignment in a fan?", answer: "vibration")
        let matcher = Layer0Matcher(entries: [cached, curated])
        #expect(matcher.match(chat(Self.question), now: now)?.entry.key == "c")
        #expect(matcher.match(chat(Self.question, system: "Answer in French."), now: now) == nil)  // cached without one
        #expect(matcher.match(chat(curated.question, system: "Answer in French."), now: now)?.entry.key == "k")
        let conversation = QueryPayload.chat(ChatRequest(messages: [
            .init(role: "user", content: "Tell me about pumps."), .init(role: "assistant", content: "Pumps move fluids."),
            .init(role: "user", content: Self.question),
        ]))
        #expect(matcher.match(conversation, now: now) == nil)  // the last question may depend on the earlier turns
    }

    @Test func faultCodePathKeepsItsSemantics() {
        let matcher = Layer0Matcher(entries: [
            KnowledgeEntry(key: "kb:M001", faultCode: "M001", question: "Cracking", answer: "generic"),
            KnowledgeEntry(key: "kb:M001:pump", faultCode: "M001", assetClass: "pump", question: "Cracking in pump", answer: "pump-specific"),
            KnowledgeEntry(key: "cache:x", kind: "cache", faultCode: "M009", assetClass: "pump", question: "whatever", answer: "cached"),
        ])
        let hit = matcher.match(.faultEvent(Fixtures.event(code: "m001")), now: now)
        #expect(hit?.entry.answer == "pump-specific")
        #expect(hit?.method == .faultCode)
        #expect(matcher.match(.faultEvent(Fixtures.event(code: "M001", assetClass: "fan")), now: now)?.entry.answer == "generic")
        #expect(matcher.match(.faultEvent(Fixtures.event(code: "M009")), now: now) == nil)  // cache entries never take the exact path
    }

    // MARK: Cache write-back policy

    @Test func cacheWriteBackNeedsConfidenceAndARealBackend() {
        let policy = CacheWritePolicy(minConfidence: 0.85, ttlSeconds: 600, allowSimulated: false)
        let envelope = QueryEnvelope(id: "q-1", source: .chat, receivedAt: now, payload: chat(Self.question))
        let real = TierAttempt(tier: "edge", model: "qwen", answer: "Vibration.")
        let simulated = TierAttempt(tier: "edge", model: "simulated/edge", answer: "Vibration.", simulated: true)
        let failed = TierAttempt(tier: "edge", model: "qwen", answer: "", error: "timeout")
        #expect(policy.entry(for: envelope, attempt: real, confidence: 0.84, now: now) == .failure(.lowConfidence))
        #expect(policy.entry(for: envelope, attempt: simulated, confidence: 0.99, now: now) == .failure(.simulated))
        #expect(policy.entry(for: envelope, attempt: failed, confidence: 0.99, now: now) == .failure(.failed))
        var disabled = policy
        disabled.enabled = false
        #expect(disabled.entry(for: envelope, attempt: real, confidence: 0.99, now: now) == .failure(.disabled))
        var demo = policy
        demo.allowSimulated = true
        #expect((try? demo.entry(for: envelope, attempt: simulated, confidence: 0.99, now: now).get())?.source?.contains("simulated") == true)

        let entry = try! policy.entry(for: envelope, attempt: real, confidence: 0.9, now: now).get()
        #expect(entry.kind == "cache")
        #expect(entry.key.hasPrefix("cache:"))
        #expect(entry.derivedFrom == "q-1")
        #expect(entry.validUntil == now.addingTimeInterval(600))
        #expect(entry.question == Self.question)
        // The same question asked again maps to the same row.
        let again = QueryEnvelope(id: "q-2", source: .chat, receivedAt: now, payload: chat("  which sensor is MOST relevant to bearing wear in a pump? "))
        #expect((try? policy.entry(for: again, attempt: real, confidence: 0.9, now: now).get())?.key == entry.key)
        // Conversations and system prompts are not cached.
        let withSystem = QueryEnvelope(id: "q-3", source: .chat, receivedAt: now, payload: chat(Self.question, system: "Be brief."))
        #expect(policy.entry(for: withSystem, attempt: real, confidence: 0.9, now: now) == .failure(.notCacheable))
    }

    // MARK: Knowledge files

    @Test func badLinesAreRejectedWithTheirNumbers() {
        let jsonl = """
            {"fault_code": "M001", "asset_class": "Pump", "question": "Cracking", "answer": "Inspect the casing."}
            {"fault_code": "M002", "question": "Fracture"}
            not json
            # a comment

            {"title": "Reset the PLC", "answer": "Hold reset 5 s.", "valid-until": "tomorrow"}
            {"title": "Reset the PLC", "answer": "Hold reset 5 s.", "Valid-Until": "2030-01-01T00:00:00Z", "asset": "P-1"}
            {"key": "cache:x", "question": "q", "answer": "a"}
            """
        let parsed = KnowledgeFileParser().parse(jsonl, csv: false)
        #expect(parsed.errors.map(\.line) == [2, 3, 6, 8])
        #expect(parsed.errors[0].message.contains("answer"))
        #expect(parsed.errors[2].message.contains("valid_until"))
        #expect(parsed.entries.map(\.key) == ["kb:M001:pump:*", "q:reset the plc"])
        #expect(parsed.entries[1].asset == "P-1")
        #expect(parsed.entries[1].validUntil != nil)

        let csv = "fault_code,asset_class,question,answer\nM001,pump,Cracking,\"Inspect, then \"\"seal\"\"\"\nM002,pump\n,,,\nM003,fan,,Replace it\n"
        let rows = KnowledgeFileParser().parse(csv, csv: true)
        #expect(rows.errors.map(\.line) == [3, 4])
        #expect(rows.entries.map(\.answer) == ["Inspect, then \"seal\"", "Replace it"])
        #expect(rows.entries[1].question == "M003")
    }

    @Test func evaluationCountsHitsAndMisses() {
        let matcher = Layer0Matcher(entries: [
            KnowledgeEntry(key: "a", question: Self.question, answer: "vibration"),
            KnowledgeEntry(key: "b", question: "Which sensor is most relevant to misalignment in a fan?", answer: "vibration"),
        ])
        let file = """
            {"id": "1", "text": "Which sensor matters most for bearing wear in a pump?", "expect": "a", "kind": "paraphrase"}
            {"id": "2", "text": "Which sensor is most relevant to bearing wear in a fan?", "expect": null, "kind": "swap"}
            {"id": "3", "text": "Which sensor is most relevant to misalignment in a fan?", "expect": "a", "kind": "wrong"}
            {"id": "4", "expect": "a"}
            """
        let parsed = Layer0Evaluation.parseQueries(file)
        #expect(parsed.errors.map(\.line) == [4])
        let evaluation = Layer0Evaluation(matcher: matcher, queries: parsed.queries, now: now)
        let point = evaluation.point(.init(threshold: 0.3))
        #expect(point.positives == 2)
        #expect(point.negatives == 1)
        #expect(point.hits == 2)
        #expect(point.correct == 1)
        #expect(point.precision == 0.5)
        #expect(point.recall == 0.5)
        #expect(evaluation.curve([0.3, 1.01], margin: 0).last?.hits == 0)
    }
}
