import Foundation
import Testing

@testable import TierflowCore
@testable import TierflowPipeline

@Suite("Layer 0, router and evaluator decisions")
struct DecisionTests {
    let now = Date()

    @Test func exactMatcherNeedsFaultCodeAndAssetClass() {
        let matcher = ExactMatcher(entries: [
            KnowledgeEntry(key: "kb:M001", faultCode: "M001", question: "Cracking", answer: "generic"),
            KnowledgeEntry(key: "kb:M001:pump", faultCode: "M001", assetClass: "pump", question: "Cracking in pump", answer: "pump-specific"),
            KnowledgeEntry(key: "kb:M009:chiller", faultCode: "M009", assetClass: "chiller", question: "Chiller", answer: "chiller"),
            KnowledgeEntry(key: "kb:old", faultCode: "M050", question: "old", answer: "old", validUntil: now.addingTimeInterval(-1)),
            KnowledgeEntry(key: "q:reset", question: "How do I reset the PLC?", answer: "Hold reset for 5 s."),
        ])
        #expect(matcher.match(.faultEvent(Fixtures.event(code: "m001")), now: now)?.answer == "pump-specific")
        #expect(matcher.match(.faultEvent(Fixtures.event(code: "M001", assetClass: "fan")), now: now)?.answer == "generic")
        #expect(matcher.match(.faultEvent(Fixtures.event(code: "M009", assetClass: "pump")), now: now) == nil)
        #expect(matcher.match(.faultEvent(Fixtures.event(code: nil)), now: now) == nil)
        #expect(matcher.match(.faultEvent(Fixtures.event(code: "M050")), now: now) == nil)
        #expect(matcher.match(.chat(ChatRequest(messages: [.init(role: "user", content: "how do i  reset the plc")])), now: now)?.key == "q:reset")
        var edited = matcher
        edited.remove(key: "kb:M001:pump")
        #expect(edited.count == 4)
        #expect(edited.match(.faultEvent(Fixtures.event(code: "M001")), now: now)?.answer == "generic")
    }

    @Test func routerStartsEasyQueriesCheapAndHardOnesHigh() {
        let scorer = TransparentScorer()
        let chooser = TierChooser(config: Fixtures.config)
        let tiers = Fixtures.config.tiers
        let easy = Fixtures.envelope(.faultEvent(Fixtures.event(severity: .low)))
        let hard = Fixtures.envelope(.chat(ChatRequest(messages: [.init(role: "user", content: String(repeating: "Explain why and calculate and compare the derived root cause of 42 kW loss 17 bar 3 Hz. ", count: 6))])))
        let easyEstimates = scorer.estimates(for: easy, tiers: tiers)
        let hardEstimates = scorer.estimates(for: hard, tiers: tiers)
        #expect(easyEstimates == easyEstimates.sorted())  // stronger tiers are never rated lower
        #expect(hardEstimates[0] < easyEstimates[0])
        #expect(chooser.choose(estimates: easyEstimates, envelope: easy, promptTokens: 100, state: SystemState(), now: now).index == 0)
        #expect(chooser.choose(estimates: hardEstimates, envelope: hard, promptTokens: 600, state: SystemState(), now: now).index > 0)
    }

    @Test func operationalStateShiftsTheChoice() {
        let chooser = TierChooser(config: Fixtures.config)
        let estimates = [0.9, 0.95, 0.99]
        let envelope = Fixtures.envelope(.faultEvent(Fixtures.event(severity: .medium)), deadline: now.addingTimeInterval(60))
        #expect(chooser.choose(estimates: estimates, envelope: envelope, promptTokens: 100, state: SystemState(), now: now).index == 0)
        // Critical alarms start at the floor tier.
        let critical = Fixtures.envelope(.faultEvent(Fixtures.event(severity: .critical)))
        let floored = chooser.choose(estimates: estimates, envelope: critical, promptTokens: 100, state: SystemState(), now: now)
        #expect(floored.index == 1)
        #expect(floored.reason.contains("critical"))
        // No consumers on edge: skip it.
        let down = SystemState(loads: ["edge": .init(waiting: 0, consumers: 0)])
        #expect(chooser.choose(estimates: estimates, envelope: envelope, promptTokens: 100, state: down, now: now).index == 1)
        // Backlog longer than the time left: skip it.
        let backlog = SystemState(loads: ["edge": .init(waiting: 1_000_000, consumers: 1)])
        #expect(chooser.choose(estimates: estimates, envelope: envelope, promptTokens: 100, state: backlog, now: now).index == 1)
        // A per-query quality target (a routing policy) overrides the configured one.
        var demanding = envelope
        demanding.qualityTarget = 0.97
        #expect(chooser.choose(estimates: estimates, envelope: demanding, promptTokens: 100, state: SystemState(), now: now).index == 2)
        // Budget spent: free tiers only, even when only a paid tier clears the target.
        let broke = SystemState(spentTodayUSD: 11)
        let result = chooser.choose(estimates: [0.2, 0.9, 0.99], envelope: envelope, promptTokens: 100, state: broke, now: now)
        #expect(result.index == 0)
        #expect(result.reason.contains("budget"))
    }

    @Test func confidenceFollowsTheSignals() {
        let scorer = ConfidenceScorer()
        func score(_ answer: String, mean: Double? = nil, min: Double? = nil, finish: String? = "stop", error: String? = nil) -> Double {
            scorer.assess(TierAttempt(tier: "edge", model: "m", answer: answer, finishReason: finish, meanLogprob: mean, minLogprob: min, error: error)).confidence
        }
        let confident = score("Replace the bearing on pump P-101.", mean: -0.05, min: -0.5)
        let unsure = score("Replace the bearing on pump P-101.", mean: -1.2, min: -6)
        #expect(confident > 0.85)
        #expect(unsure < 0.3)
        #expect(score("Replace the bearing on pump P-101.", mean: -0.05, min: -0.5, finish: "length") < confident * 0.6)
        #expect(score("I'm not sure, it might be the bearing.", mean: -0.05, min: -0.5) < confident * 0.7)
        #expect(score("As an AI I cannot provide that.", mean: -0.05, min: -0.5) < 0.25)
        #expect(score("   ") == 0)
        #expect(score("fine", error: "timeout") == 0)
        #expect(score("Replace the bearing.\nConfidence: 30") < score("Replace the bearing.\nConfidence: 95"))
        #expect(abs(score("Replace the bearing.\nConfidence: 95") - 0.95) < 0.001)
        #expect(abs(score("Replace the bearing on the pump.") - 0.6) < 0.001)
        // Eight characters are not "very short"; seven are, also when they take many bytes.
        #expect(abs(score("Reset it") - 0.6) < 0.001)
        #expect(abs(score("Reset!!") - 0.3) < 0.001)
        #expect(abs(score("🔧🔧🔧🔧🔧🔧🔧") - 0.3) < 0.001)
        // Phrases are found anywhere, also at the very end, and not across a gap.
        #expect(score("The bearing, perhaps") < 0.6 * 0.81)
        #expect(abs(score("The bearing, perhap s") - 0.6) < 0.001)
    }

    @Test func phraseSetCountsWhatSearchingEachPhraseFinds() {
        var random = SeededRandom(seed: 32)
        let phrases = ConfidenceScorer.refusalPhrases + ConfidenceScorer.hedgingPhrases + [[], Array("i".utf8), Array("ab".utf8)]
        let pieces = ["i ", "i'm not sure", "i cannot", " help", "perhap", "s", "might be", "as an ai", "a", "b", "é", "possibly"]
        var texts = ["", "i", "ab", "abc", "perhaps", "i cannot help i can't help"]
        for _ in 0..<3000 {
            texts.append((0..<Int.random(in: 0...8, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined())
        }
        for count in [1, phrases.count] {
            let set = PhraseSet(Array(phrases.prefix(count)))
            for text in texts {
                let bytes = Array(text.utf8)
                let expected = phrases.prefix(count).filter { phrase in
                    phrase.isEmpty || (phrase.count <= bytes.count && (0...(bytes.count - phrase.count)).contains { bytes[$0..<($0 + phrase.count)].elementsEqual(phrase) })
                }.count
                #expect(bytes.withUnsafeBufferPointer { set.countOccurring(in: $0) } == expected, "\(text)")
            }
        }
    }

    @Test func escalationDeadlineAndSpendCap() {
        let policy = EscalationPolicy(config: Fixtures.config)
        var envelope = Fixtures.envelope(.faultEvent(Fixtures.event()), deadline: now.addingTimeInterval(30))
        #expect(policy.decide(tier: "edge", confidence: 0.9, envelope: envelope, now: now) == .accept)
        #expect(policy.decide(tier: "edge", confidence: 0.3, envelope: envelope, now: now) == .escalate(to: "gpu"))
        #expect(policy.decide(tier: "gpu", confidence: 0.3, envelope: envelope, now: now) == .escalate(to: "cloud"))
        #expect(policy.decide(tier: "cloud", confidence: 0.01, envelope: envelope, now: now) == .accept)  // threshold 0
        #expect(policy.decide(tier: "edge", confidence: 0.3, envelope: envelope, now: now.addingTimeInterval(31)) == .finalise(reason: "deadline"))
        envelope.history = [TierAttempt(tier: "gpu", model: "m", answer: "a", costUSD: 0.06)]
        #expect(policy.decide(tier: "gpu", confidence: 0.3, envelope: envelope, now: now) == .finalise(reason: "budget"))
        envelope.maxCostUSD = 1
        #expect(policy.decide(tier: "gpu", confidence: 0.3, envelope: envelope, now: now) == .escalate(to: "cloud"))
        let best = EscalationPolicy.bestAttempt(in: [
            TierAttempt(tier: "edge", model: "m", answer: "a", confidence: 0.5),
            TierAttempt(tier: "gpu", model: "m", answer: "b", confidence: 0.4),
        ])
        #expect(best?.answer == "a")
    }

    @Test func simulatedBackendIsDeterministicLabelledAndNested() async throws {
        let backend = SimulatedBackend()
        let tiers = Fixtures.config.tiers
        var goodByTier = [0, 0, 0]
        for index in 0..<300 {
            let prompt = Prompt(messages: [.init(role: "user", content: "Alarm \(index): pump cavitation on P-\(index)")])
            var previousGood = false
            for (position, tier) in tiers.enumerated() {
                let answer = try await backend.complete(prompt, tier: tier)
                #expect(answer.simulated)
                #expect(answer.model.hasPrefix("simulated/"))
                #expect(answer.text.hasPrefix("[simulated \(tier.name)]"))
                let again = try await backend.complete(prompt, tier: tier)
                #expect(again == answer)
                let good = (answer.meanLogprob ?? -9) > -0.31
                if previousGood { #expect(good) }  // a stronger tier answers whatever a weaker one does
                previousGood = good
                if good { goodByTier[position] += 1 }
            }
        }
        // Shares close to the configured skills (0.6, 0.85, 0.97) over 300 prompts.
        #expect(abs(Double(goodByTier[0]) / 300 - 0.6) < 0.1)
        #expect(abs(Double(goodByTier[1]) / 300 - 0.85) < 0.08)
        #expect(abs(Double(goodByTier[2]) / 300 - 0.97) < 0.05)
    }

    @Test func simulatedGistIsTheLastLineAsCharactersWouldSplitIt() {
        var random = SeededRandom(seed: 31)
        let pieces = ["pump ", "P-101", "\n", "\n", "\r\n", "\r", "é", "🔥", "e\u{301}", "\u{301}", String(repeating: "x", count: 70), " ", "\t"]
        var subjects = ["", "\n", "\n\n", "\r\n", "a\r\n", "a\r\nb", "a\n\r\n", "\u{301}\nb", String(repeating: "y", count: 300)]
        for _ in 0..<5000 {
            subjects.append((0..<Int.random(in: 0...12, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined())
        }
        for subject in subjects {
            let expected = String(subject.split(separator: "\n").last { !$0.isEmpty }?.prefix(120) ?? "")
            #expect(Array(SimulatedBackend.gist(of: subject).unicodeScalars) == Array(expected.unicodeScalars), "\(subject.debugDescription)")
        }
    }

    @Test func promptTemplatesFillEventFields() {
        let builder = PromptBuilder(templates: ["scada": "Asset {asset} ({asset_class}) code {fault_code}: {message}. {unknown}"])
        let prompt = builder.prompt(for: Fixtures.envelope(.faultEvent(Fixtures.event())), askForConfidence: true, maxTokens: 100)
        #expect(prompt.messages.first?.content == "Asset P-101 (pump) code M001: FLW COND CW HIGH ALM. {unknown}")
        #expect(prompt.messages.last?.content == PromptBuilder.confidenceInstruction)
        let chat = builder.prompt(for: Fixtures.envelope(.chat(ChatRequest(messages: [.init(role: "system", content: "s"), .init(role: "user", content: "q")]))), askForConfidence: false, maxTokens: nil)
        #expect(chat.messages.map(\.role) == ["system", "user"])
    }

    @Test func promptTemplatesKeepUnknownAndUnclosedPlaceholdersAndNonASCIIText() {
        let event = Fixtures.event(message: "Pumpe läuft heiß 🔥")
        func rendered(_ template: String) -> String? {
            PromptBuilder(templates: ["scada": template])
                .prompt(for: Fixtures.envelope(.faultEvent(event)), askForConfidence: false, maxTokens: nil).messages.first?.content
        }
        #expect(rendered("  {site}{line}/{asset}: {message} ({values}) ") == "plant-aL1/P-101: Pumpe läuft heiß 🔥 (flow=12.5)")
        #expect(rendered("Größe {nope} {a{b} {tag}") == "Größe {nope} {a{b} FIR123")
        #expect(rendered("{severity} {fault_code} {unclosed") == "medium M001 {unclosed")
        #expect(rendered("{}{tag}}") == "{}FIR123}")
        let chatTemplate = PromptBuilder(templates: ["chat": "Q: {question}\n{messages}"])
        let chat = chatTemplate.prompt(
            for: Fixtures.envelope(.chat(ChatRequest(messages: [.init(role: "user", content: "wie heiß?")]))), askForConfidence: false,
            maxTokens: nil)
        #expect(chat.messages.first?.content == "Q: wie heiß?\nuser: wie heiß?")
    }
}
