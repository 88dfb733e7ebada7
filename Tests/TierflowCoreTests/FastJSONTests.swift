import Foundation
import Testing

@testable import TierflowCore

/// The fast JSON path must read and write exactly what `JSONDecoder`/`JSONEncoder` do.
@Suite("Fast JSON for envelopes")
struct FastJSONTests {
    /// Foundation's coders, configured as the codec configures them.
    let foundationEncoder = EnvelopeCodec.makeEncoder()
    let foundationDecoder = EnvelopeCodec.makeDecoder()

    @Test func randomEnvelopesReadTheSameEitherWay() throws {
        var random = SeededRandom(seed: 7)
        for _ in 0..<500 {
            let envelope = random.envelope()
            let fastBytes = try #require(envelope.fastEncoded())
            let foundationBytes = [UInt8](try foundationEncoder.encode(envelope))

            // Each reader reads each writer's output, and all four agree.
            let fastOfFast = try #require(QueryEnvelope.fastDecoded(from: fastBytes))
            let fastOfFoundation = try #require(QueryEnvelope.fastDecoded(from: foundationBytes))
            let foundationOfFast = try foundationDecoder.decode(QueryEnvelope.self, from: Data(fastBytes))
            let foundationOfFoundation = try foundationDecoder.decode(QueryEnvelope.self, from: Data(foundationBytes))
            #expect(fastOfFast == foundationOfFoundation)
            #expect(fastOfFoundation == foundationOfFoundation)
            #expect(foundationOfFast == foundationOfFoundation)
            // And the JSON values are the same document (key order aside).
            #expect(try jsonObject(fastBytes) == jsonObject(foundationBytes))
        }
    }

    @Test(arguments: [
        "plain", "quote \" and backslash \\", "tab\tnewline\nreturn\r", "bell \u{7} and escape \u{1B}",
        "slash / stays", "ünïcødé ✓ 🚀", "line separator \u{2028}", "",
    ])
    func stringsRoundTrip(_ text: String) throws {
        let message = ChatRequest.Message(role: "user", content: text)
        let bytes = try #require(message.fastEncoded())
        #expect(try foundationDecoder.decode(ChatRequest.Message.self, from: Data(bytes)).content == text)
        #expect(ChatRequest.Message.fastDecoded(from: bytes)?.content == text)
    }

    @Test func escapesWrittenByOthersAreRead() {
        let bytes = Array(#"{"role":"user","c\u006fntent":"a\u00e9\/\ud83d\ude80\b\f"}"#.utf8)
        #expect(ChatRequest.Message.fastDecoded(from: bytes)?.content == "aé/🚀\u{8}\u{C}")
    }

    @Test(arguments: [
        #"{"role":"user","content":"x"} trailing"#,  // not one document
        #"{"role":"user","content":"x","extra":\#(String(repeating: "[", count: 70))\#(String(repeating: "]", count: 70))}"#,
        #"{"role":"user","content":"\ud83d"}"#,  // unpaired surrogate
        #"{"role":"user","content":"x",}"#,  // trailing comma
        #"{"role":"user"}"#,  // missing field
        #"{"role":1,"content":"x"}"#,  // wrong type
    ])
    func unusualInputIsLeftToTheFallback(_ text: String) {
        #expect(ChatRequest.Message.fastDecoded(from: Array(text.utf8)) == nil)
    }

    @Test func theCodecStillReadsWhatOnlyTheFallbackReads() throws {
        // Deep nesting is valid JSON: the fast reader stops at 64 levels, JSONDecoder reads it.
        let deep = String(repeating: "[", count: 70) + String(repeating: "]", count: 70)
        let bytes = Array(#"{"role":"user","content":"x","extra":\#(deep)}"#.utf8)
        #expect(ChatRequest.Message.fastDecoded(from: bytes) == nil)
        #expect(try EnvelopeCodec().decode(ChatRequest.Message.self, from: bytes).role == "user")
    }

    @Test func severityReadsNamesSynonymsAndNumbers() throws {
        for (text, severity) in [(#""critical""#, FaultEvent.Severity.critical), (#""Warning""#, .medium), ("0", .info), ("4", .critical)] {
            let bytes = Array(#"{"event_id":"e","site":"s","asset":"a","severity":\#(text),"message":"m"}"#.utf8)
            #expect(FaultEvent.fastDecoded(from: bytes)?.severity == severity)
        }
        let outOfRange = Array(#"{"event_id":"e","site":"s","asset":"a","severity":5,"message":"m"}"#.utf8)
        #expect(FaultEvent.fastDecoded(from: outOfRange) == nil)
        #expect(throws: MessageRejection.self) { try EnvelopeCodec().decode(FaultEvent.self, from: outOfRange) }
    }

    @Test func nonFiniteNumbersFallBackToJSONEncoder() {
        let attempt = TierAttempt(tier: "edge", model: "m", answer: "a", confidence: .nan)
        #expect(attempt.fastEncoded() == nil)
        #expect(EnvelopeCodec().encode(attempt) == Array("{}".utf8))  // what JSONEncoder's failure always gave
    }

    private func jsonObject(_ bytes: [UInt8]) throws -> NSDictionary {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? NSDictionary)
    }
}

/// Reproducible random message values.
extension SeededRandom {
    mutating func text() -> String {
        let pieces = ["pump", " ", "\"", "\\", "\n", "\t", "é", "✓", "🚀", "\u{1}", "/", "LL", "42.5 bar", "\u{2028}"]
        return (0..<Int.random(in: 0...12, using: &self)).map { _ in pieces.randomElement(using: &self)! }.joined()
    }

    mutating func maybe<T>(_ make: (inout SeededRandom) -> T) -> T? {
        Bool.random(using: &self) ? make(&self) : nil
    }

    mutating func number() -> Double {
        [0, 1, -1, 0.1, 2.5, 1e-7, 123456.789, 1e300, -0.000123, Double(Int.random(in: -1000...1000, using: &self)) / 7]
            .randomElement(using: &self)!
    }

    mutating func date() -> Date {
        Date(timeIntervalSince1970: Double(Int.random(in: 1_600_000_000_000...1_900_000_000_000, using: &self)) / 1000)
    }

    mutating func attempt() -> TierAttempt {
        TierAttempt(
            tier: text(), model: text(), answer: text(), confidence: maybe { $0.number() }, decision: maybe { $0.text() },
            costUSD: number(), tokensIn: Int.random(in: 0...100_000, using: &self), tokensOut: Int.random(in: 0...9, using: &self),
            latencyMilliseconds: number(), finishReason: maybe { $0.text() }, meanLogprob: maybe { $0.number() },
            minLogprob: maybe { $0.number() }, simulated: Bool.random(using: &self), error: maybe { $0.text() })
    }

    mutating func payload() -> QueryPayload {
        if Bool.random(using: &self) {
            return .faultEvent(FaultEvent(
                eventId: text(), site: text(), line: maybe { $0.text() }, asset: text(), assetClass: maybe { $0.text() },
                tag: maybe { $0.text() }, alarmType: maybe { $0.text() }, faultCode: maybe { $0.text() },
                severity: FaultEvent.Severity.allCases.randomElement(using: &self)!, message: text(),
                values: maybe { random in Dictionary(uniqueKeysWithValues: (0..<3).map { ("v\($0)\(random.text())", random.number()) }) },
                timestamp: maybe { $0.text() }))
        }
        return .chat(ChatRequest(
            messages: (0..<Int.random(in: 0...3, using: &self)).map { _ in .init(role: text(), content: text()) },
            model: maybe { $0.text() }, maxTokens: maybe { Int.random(in: 1...4096, using: &$0) }, temperature: maybe { $0.number() },
            user: maybe { $0.text() }))
    }

    mutating func envelope() -> QueryEnvelope {
        QueryEnvelope(
            id: "q-" + text(), source: QueryEnvelope.Source.allCases.randomElement(using: &self)!, receivedAt: date(),
            deadline: maybe { $0.date() }, priority: Bool.random(using: &self) ? .live : .batch, payload: payload(),
            tier: maybe { $0.text() }, history: (0..<Int.random(in: 0...3, using: &self)).map { _ in attempt() },
            attempt: Int.random(in: 0...5, using: &self),
            route: maybe { random in
                RoutePlan(startTier: random.text(), estimates: ["edge": random.number(), "gpu": random.number()], reason: random.text(), router: random.text())
            },
            maxCostUSD: maybe { $0.number() }, qualityTarget: maybe { $0.number() },
            reply: maybe { ReplyAddress(replyTo: $0.text(), correlationId: $0.maybe { $0.text() }) }, batchId: maybe { $0.text() },
            linkedEvents: maybe { random in (0..<2).map { _ in random.text() } })
    }
}

/// The direct formatter and parser must agree with Foundation's `ISO8601FormatStyle`.
@Suite("Timestamps")
struct TimestampTests {
    let foundation = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    @Test func formatAgreesWithFoundation() {
        var random = SeededRandom(seed: 11)
        var dates = [Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: -0.0005), Date(timeIntervalSince1970: 951_782_400.9999)]
        for _ in 0..<2000 {
            dates.append(Date(timeIntervalSince1970: Double(Int64.random(in: -2_000_000_000_000...4_000_000_000_000, using: &random)) / 1000
                + Double.random(in: 0..<0.001, using: &random)))
        }
        for date in dates {
            #expect(Timestamp.format(date) == foundation.format(date), "\(date.timeIntervalSince1970)")
        }
    }

    @Test func parseAgreesWithFoundation() throws {
        var random = SeededRandom(seed: 12)
        var texts = ["2024-02-29T23:59:59Z", "1969-12-31T23:59:59.999Z", "2026-11-23T17:48:35.1Z", "2026-11-23T17:48:35.123456Z"]
        for _ in 0..<2000 {
            texts.append(foundation.format(Date(timeIntervalSince1970: Double(Int64.random(in: -2_000_000_000_000...4_000_000_000_000, using: &random)) / 1000)))
        }
        for text in texts {
            let direct = try #require(Timestamp.parseCommonForm(text), "\(text)")
            let reference = try foundation.parse(text)
            // Foundation's parse can land just below the millisecond (and then format one lower); ours reads it back exactly.
            #expect(abs(direct.timeIntervalSince1970 - reference.timeIntervalSince1970) < 0.0011, "\(text)")
            if text.utf8.count == 24 { #expect(Timestamp.format(direct) == text) }
        }
    }

    @Test(arguments: ["2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T00:00:00+01:00", "2026-01-01 00:00:00Z", "2026-01-01T00:00:00.Z"])
    func unusualFormsAreLeftToFoundation(_ text: String) {
        #expect(Timestamp.parseCommonForm(text) == nil)
        #expect(Timestamp.parse(text) == (try? foundation.parse(text)) ?? (try? Date.ISO8601FormatStyle().parse(text)))
    }
}

@Suite("Fixed decimals")
struct FixedDecimalsTests {
    @Test(arguments: [0.0, 0.5, 0.125, 1.0 / 3.0, 2.0 / 3.0, 0.99999, 12.345678, -0.004, -1.25, 1e-9, 123456.789, 0.7, 0.65])
    func writesWhatPrintfWrites(_ value: Double) {
        for digits in [0, 2, 5] {
            #expect(value.fixed(digits) == String(format: "%.\(digits)f", value), "\(value) with \(digits) decimals")
        }
    }
}
