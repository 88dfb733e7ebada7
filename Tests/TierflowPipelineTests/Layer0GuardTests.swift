import Foundation
import Testing

@testable import TierflowCore
@testable import TierflowPipeline

/// Layer 0's guards: an entry never answers a query that disagrees with it on a guard, however similar
/// the texts (the threshold is 0 in these tests, so only the guards can refuse).
@Suite("Layer 0 guards")
struct Layer0GuardTests {
    let now = Date()
    let anyText = Layer0Matcher.Settings(threshold: 0, margin: 0)

    func chat(_ text: String) -> QueryPayload { .chat(ChatRequest(messages: [.init(role: "user", content: text)])) }

    func matcher(_ question: String, assetClass: String? = nil, asset: String? = nil) -> Layer0Matcher {
        Layer0Matcher(entries: [KnowledgeEntry(key: "e", assetClass: assetClass, asset: asset, question: question, answer: "the answer")])
    }

    /// Each pair: an entry's question and a query that differs from it on exactly one guard.
    static let mismatches: [(entry: String, query: String, guarded: String)] = [
        ("What does fault M013 on the chiller mean?", "What does fault M014 on the chiller mean?", "fault code"),
        ("Why does tag FIR123 alarm on the pump?", "Why does tag FIR124 alarm on the pump?", "PLC tag"),
        ("Why does tag AIR003_5 alarm on the pump?", "Why does tag AIR003_6 alarm on the pump?", "PLC tag with suffix"),
        ("Pump P-101 vibrates, what should I check?", "Pump P-102 vibrates, what should I check?", "asset id"),
        ("Bearing temperature is 93 °C on the pump, is that a problem?", "Bearing temperature is 39 °C on the pump, is that a problem?", "temperature"),
        ("Bearing temperature is 93 °C on the pump, is that a problem?", "Bearing temperature is 93 °F on the pump, is that a problem?", "unit"),
        ("Discharge pressure is 12 bar on the pump, is that normal?", "Discharge pressure is 12.5 bar on the pump, is that normal?", "pressure"),
        ("Which sensor is relevant to bearing wear in a pump?", "Which sensor is not relevant to bearing wear in a pump?", "negation"),
        ("Can the pump run with the seal leaking?", "Can the pump run without the seal leaking?", "without"),
        ("Which sensor is most relevant to bearing wear in a pump?", "Which sensor is least relevant to bearing wear in a pump?", "least"),
        ("Which sensor best detects bearing wear in a pump?", "Which sensor best detects misalignment in a pump?", "failure mode"),
        ("Which sensor best detects bearing wear in a pump?", "Which sensor best detects bearing wear in a fan?", "asset class"),
        ("Which failure is indicated by abnormal vibration in a pump?", "Which failure is indicated by abnormal oil debris in a pump?", "sensor"),
        ("What causes high discharge pressure on the pump?", "What causes low discharge pressure on the pump?", "direction"),
        ("How do I reset the VFD on the chiller?", "How do I reset the PLC on the chiller?", "acronym"),
    ]

    @Test(arguments: 0..<mismatches.count)
    func guardMismatchNeverHits(_ index: Int) {
        let (entry, query, guarded) = Self.mismatches[index]
        let matcher = matcher(entry)
        #expect(matcher.match(chat(entry), settings: anyText, now: now)?.entry.key == "e", "the entry answers its own question (\(guarded))")
        #expect(matcher.match(chat(query), settings: anyText, now: now) == nil, "a different \(guarded) must not hit")
        let probe = try! #require(matcher.analyzer.probe(chat(query)))
        let entryGuards = matcher.analyzer.signature(of: matcher.entries[0]).guards
        #expect(probe.signature.guards.disagreement(withEntry: entryGuards) != nil)
    }

    @Test func guardListsAreSortedAndUniqueAsASetWouldMakeThem() {
        var random = SeededRandom(seed: 34)
        let values = ["M001", "P-101", "93 °c", "pump", "up", "down", "e\u{301}", "\u{E9}", "", "a", "B"]
        for _ in 0..<3000 {
            let list = (0..<Int.random(in: 0...8, using: &random)).map { _ in values.randomElement(using: &random)! }
            let expected = Array(Set(list)).sorted()
            let result = Layer0Guards.sortedUnique(list)
            // Byte for byte (the blocking key hashes bytes): of canonically equal values, both keep the first.
            #expect(result.map { Array($0.utf8) } == expected.map { Array($0.utf8) }, "\(list)")
        }
    }

    @Test func assetClassTermsAreTheSameFromTheCache() {
        let analyzer = Layer0Analyzer()
        for assetClass in ["pump", " Pump ", "centrifugal pump", "chiller", "flux capacitor", "Kühlturm", "", "pump"] {
            let first = analyzer.signature(text: "Bearing temperature high", assetClass: assetClass)
            let cached = analyzer.signature(text: "Bearing temperature high", assetClass: assetClass)
            let fresh = Layer0Analyzer().signature(text: "Bearing temperature high", assetClass: assetClass)
            #expect(first == cached && cached == fresh, "\(assetClass)")
        }
        #expect(analyzer.signature(text: "x", assetClass: "flux capacitor").guards.concepts.contains("class:flux capacitor"))
    }

    @Test func paraphraseWithTheSameGuardsHits() {
        let matcher = matcher("For pump, if bearing damage happens, which sensor should be prioritized for monitoring this failure?")
        let paraphrase = "In the event of bearing damage to a pump, which particular sensor should be given priority for monitoring?"
        let hit = matcher.match(chat(paraphrase), settings: .init(threshold: 0.6), now: now)
        #expect(hit?.entry.key == "e")
        #expect(hit?.method == .semantic)
        #expect((hit?.score ?? 0) >= 0.6)
    }

    @Test func structuredFieldsAreGuards() {
        let byClass = matcher("Which sensor detects bearing wear?", assetClass: "pump")
        #expect(byClass.match(chat("Which sensor detects bearing wear on a pump?"), settings: anyText, now: now) != nil)
        #expect(byClass.match(chat("Which sensor detects bearing wear on a fan?"), settings: anyText, now: now) == nil)
        #expect(byClass.match(chat("Which sensor detects bearing wear?"), settings: anyText, now: now) == nil)
        let byAsset = matcher("Why does the pump vibrate?", asset: "P-101")
        #expect(byAsset.match(chat("Why does the pump P-101 vibrate?"), settings: anyText, now: now) != nil)
        #expect(byAsset.match(chat("Why does the pump P-102 vibrate?"), settings: anyText, now: now) == nil)
        #expect(byAsset.match(chat("Why does the pump vibrate?"), settings: anyText, now: now) == nil)
        // An entry without an asset id is generic: it answers for any asset of its kind.
        let generic = matcher("Why does the pump vibrate?")
        #expect(generic.match(chat("Why does the pump P-102 vibrate?"), settings: anyText, now: now) != nil)
    }

    @Test func faultEventsNeedTheSameCodeClassTagValuesAndAlarm() {
        let policy = CacheWritePolicy()
        let event = FaultEvent(
            eventId: "e1", site: "s", asset: "P-101", assetClass: "pump", tag: "PIR101", alarmType: "H", faultCode: "M013",
            severity: .high, message: "PUMP DISCH PRESS HIGH ALM", values: ["pressure_bar": 93])
        guard case .success(let cached) = policy.entry(payload: .faultEvent(event), answer: "Check the valve.", derivedFrom: "q1", source: nil, now: now) else {
            Issue.record("the event is cacheable")
            return
        }
        let matcher = Layer0Matcher(entries: [cached])
        #expect(matcher.match(.faultEvent(event), settings: .init(), now: now)?.entry.key == cached.key)
        var colder = event
        colder.values = ["pressure_bar": 39]
        var low = event
        low.alarmType = "L"
        var otherTag = event
        otherTag.tag = "PIR102"
        var otherAsset = event
        otherAsset.asset = "P-102"
        var otherCode = event
        otherCode.faultCode = "M014"
        for variant in [colder, low, otherTag, otherAsset, otherCode] {
            #expect(matcher.match(.faultEvent(variant), settings: anyText, now: now) == nil)
        }
    }

    @Test func guardsReadUnitsSpellingsAndParentheses() {
        let analyzer = Layer0Analyzer()
        let a = analyzer.signature(text: "Temperature 93 °C at P-101 (pump), tag AIR003_5, code M001a").guards
        let b = analyzer.signature(text: "temperature 93 degrees Celsius at p-101 pump, tag air003_5, code m001a").guards
        #expect(a.quantities == ["93 °c"])
        #expect(a.quantities == b.quantities)
        #expect(a.assetIds == ["P-101"])
        #expect(a.identifiers == ["AIR003_5", "M001A"])
        #expect(a.identifiers == b.identifiers)
        let brush = analyzer.signature(text: "brush(es) fault in an electric motor").guards
        let brushes = analyzer.signature(text: "a fault of the brushes of an electric motor").guards
        #expect(brush.concepts == brushes.concepts)
        #expect(analyzer.signature(text: "the pump doesn't start").guards.negated)
        #expect(!analyzer.signature(text: "readings are not within the normal range").guards.negated)
    }
}
