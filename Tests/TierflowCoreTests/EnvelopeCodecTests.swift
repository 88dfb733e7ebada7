import Foundation
import Testing

@testable import TierflowCore

@Suite("Envelope codec")
struct EnvelopeCodecTests {
    let codec = EnvelopeCodec(maxMessageBytes: 4096)

    static func sampleEnvelope() -> QueryEnvelope {
        let event = FaultEvent(
            eventId: "evt-1", site: "plant-a", line: "L2", asset: "P-101", assetClass: "pump", tag: "FIR123",
            alarmType: "H", faultCode: "M001", severity: .high, message: "FLW COND CW HIGH ALM",
            values: ["flow": 12.5], timestamp: "2026-11-23T10:00:00Z")
        return QueryEnvelope(
            id: "q-1", source: .scada, receivedAt: Date(timeIntervalSince1970: 1_790_000_000.5),
            deadline: Date(timeIntervalSince1970: 1_790_000_120), payload: .faultEvent(event), tier: "edge",
            history: [TierAttempt(tier: "edge", model: "qwen", answer: "check valve", confidence: 0.4, decision: "escalated", costUSD: 0.0001, simulated: true)],
            attempt: 1, route: RoutePlan(startTier: "edge", estimates: ["edge": 0.8], reason: "cheapest", router: "transparent"),
            reply: ReplyAddress(replyTo: "amq.gen-x", correlationId: "c-1"))
    }

    func rejectionOf(_ bytes: [UInt8]) -> MessageRejection? {
        do {
            _ = try codec.decodeEnvelope(bytes)
            return nil
        } catch {
            return error
        }
    }

    @Test func roundTripKeepsEveryField() throws {
        let envelope = Self.sampleEnvelope()
        let bytes = codec.encode(envelope)
        let decoded = try codec.decodeEnvelope(bytes)
        #expect(decoded == envelope)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("\"schema\":1"))
        #expect(text.contains("\"received_at\":\"2026-"))
        #expect(text.contains("\"kind\":\"fault_event\""))
    }

    @Test func timesKeepMilliseconds() throws {
        var envelope = Self.sampleEnvelope()
        envelope.receivedAt = Date(timeIntervalSince1970: 1_790_000_000.123)
        let decoded = try codec.decodeEnvelope(codec.encode(envelope))
        #expect(abs(decoded.receivedAt.timeIntervalSince(envelope.receivedAt)) < 0.001)
    }

    @Test func chatPayloadRoundTrips() throws {
        var envelope = Self.sampleEnvelope()
        envelope.payload = .chat(ChatRequest(messages: [.init(role: "system", content: "be brief"), .init(role: "user", content: "Why does pump P-101 cavitate?")], model: "tierflow"))
        let decoded = try codec.decodeEnvelope(codec.encode(envelope))
        #expect(decoded.payload.text == "Why does pump P-101 cavitate?")
    }

    @Test func oversizeIsRejected() throws {
        let rejection = try #require(rejectionOf(Array(repeating: UInt8(ascii: " "), count: 5000)))
        #expect(rejection.code == .tooLarge)
        #expect(rejection.reason.contains("5000 bytes"))
    }

    @Test func rawAndEscapedNulAreRejected() throws {
        var bytes = codec.encode(Self.sampleEnvelope())
        bytes.insert(0, at: 10)
        #expect(rejectionOf(bytes)?.code == .nulByte)
        #expect(rejectionOf(bytes)?.reason == "NUL byte at offset 10")
        let escaped = Array(#"{"schema":1,"id":"a\u0000b"}"#.utf8)
        #expect(rejectionOf(escaped)?.code == .nulByte)
        // An escaped backslash followed by "u0000" is ordinary text, not a NUL.
        #expect(rejectionOf(Array(#"{"schema":1,"id":"a\\u0000b"}"#.utf8))?.code == .invalidField)
    }

    @Test func invalidUTF8IsRejectedWithOffset() throws {
        let bytes: [UInt8] = Array(#"{"id":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        let rejection = try #require(rejectionOf(bytes))
        #expect(rejection.code == .invalidUTF8)
        #expect(rejection.reason == "invalid UTF-8 at offset 7")
        #expect(self.rejectionOf([0xED, 0xA0, 0x80])?.code == .invalidUTF8)  // encoded surrogate
        #expect(self.rejectionOf([0xE2, 0x82])?.code == .invalidUTF8)  // truncated sequence
    }

    /// The checks skip ahead with `memchr` and eight ASCII bytes at a time; across random texts of backslashes,
    /// `u0000`, NULs and valid and broken UTF-8 they must reject exactly where a byte-by-byte scan does.
    @Test func validationMatchesAByteByByteScan() {
        let pieces: [[UInt8]] = [
            Array("abcdefgh".utf8), Array("a".utf8), Array(#"\"#.utf8), Array(#"\\"#.utf8), Array("u0000".utf8),
            Array(#"\u0000"#.utf8), Array(#"\u00e9"#.utf8), Array("é".utf8), Array("温".utf8), Array("🔥".utf8), [0],
            [0xC3], [0x80], [0xFF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80],
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0...12, using: &generator) {
                bytes += pieces.randomElement(using: &generator)!
            }
            let expected = Self.referenceRejection(bytes)
            var actual: String?
            do {
                try codec.validate(bytes)
            } catch {
                actual = error.reason
            }
            #expect(actual == expected, "\(bytes)")
            if actual != expected { return }
        }
    }

    /// The checks as they were before they skipped ahead: NUL, then UTF-8, then escaped NUL, byte by byte.
    static func referenceRejection(_ bytes: [UInt8]) -> String? {
        if let offset = bytes.firstIndex(of: 0) { return "NUL byte at offset \(offset)" }
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte < 0x80 { index += 1; continue }
            let length: Int
            if byte & 0xE0 == 0xC0, byte >= 0xC2 { length = 2 }
            else if byte & 0xF0 == 0xE0 { length = 3 }
            else if byte & 0xF8 == 0xF0, byte <= 0xF4 { length = 4 }
            else { return "invalid UTF-8 at offset \(index)" }
            guard index + length <= bytes.count,
                (1..<length).allSatisfy({ bytes[index + $0] & 0xC0 == 0x80 }),
                !(length == 3 && byte == 0xE0 && bytes[index + 1] < 0xA0),
                !(length == 3 && byte == 0xED && bytes[index + 1] >= 0xA0),
                !(length == 4 && byte == 0xF0 && bytes[index + 1] < 0x90),
                !(length == 4 && byte == 0xF4 && bytes[index + 1] >= 0x90)
            else { return "invalid UTF-8 at offset \(index)" }
            index += length
        }
        index = 0
        while index + 5 < bytes.count {
            if bytes[index] == UInt8(ascii: "\\") {
                if Array(bytes[index + 1...index + 5]) == Array("u0000".utf8) { return "escaped NUL (\\u0000) at offset \(index)" }
                index += 2
                continue
            }
            index += 1
        }
        return nil
    }

    @Test func validMultibyteTextPasses() throws {
        var envelope = Self.sampleEnvelope()
        envelope.payload = .chat(ChatRequest(messages: [.init(role: "user", content: "Température trop élevée — 温度 🔥")]))
        #expect(try codec.decodeEnvelope(codec.encode(envelope)) == envelope)
    }

    @Test func notJSON() throws {
        #expect(rejectionOf(Array("hello".utf8))?.code == .notJSON)
        #expect(rejectionOf(Array("{\"id\": ".utf8))?.code == .notJSON)
    }

    @Test func unknownSchemaVersion() throws {
        let rejection = try #require(rejectionOf(Array(#"{"schema":7,"id":"x"}"#.utf8)))
        #expect(rejection.code == .unknownSchema)
        #expect(rejection.reason.contains("schema version 7"))
    }

    @Test func missingAndMistypedFieldsAreNamed() throws {
        var object = try #require(try JSONSerialization.jsonObject(with: Data(codec.encode(Self.sampleEnvelope()))) as? [String: Any])
        object.removeValue(forKey: "source")
        let missing = try #require(rejectionOf([UInt8](try JSONSerialization.data(withJSONObject: object))))
        #expect(missing.code == .invalidField)
        #expect(missing.reason == "source: required field is missing")

        let text = String(decoding: codec.encode(Self.sampleEnvelope()), as: UTF8.self)
            .replacingOccurrences(of: "\"severity\":\"high\"", with: "\"severity\":true")
        let mistyped = try #require(rejectionOf(Array(text.utf8)))
        #expect(mistyped.reason == "payload.event.severity: expected text")

        let badKind = text.replacingOccurrences(of: "\"kind\":\"fault_event\"", with: "\"kind\":\"fax\"")
        #expect(rejectionOf(Array(badKind.utf8))?.reason.contains("unknown payload kind \"fax\"") == true)
    }

    @Test func severityAcceptsSynonymsAndNumbers() throws {
        let decode = { (value: String) throws(MessageRejection) -> FaultEvent.Severity in
            try codec.decode(FaultEvent.self, from: Array(#"{"event_id":"e","site":"s","asset":"a","message":"m","severity":\#(value)}"#.utf8)).severity
        }
        #expect(try decode("\"ALARM\"") == .high)
        #expect(try decode("\"Warning\"") == .medium)
        #expect(try decode("4") == .critical)
        #expect(throws: MessageRejection.self) { try decode("9") }
        #expect(throws: MessageRejection.self) { try decode("\"purple\"") }
    }

    @Test func stableHashIsStableAndSeparatesParts() {
        #expect(StableHash.hex("a", "b") == StableHash.hex("a", "b"))
        #expect(StableHash.hex("ab", "") != StableHash.hex("a", "b"))
        #expect(StableHash.hex("x").count == 32)
        let u = StableHash.unit("seed", "1")
        #expect(u >= 0 && u < 1)
    }

    /// Ids and the simulated backend's draws must not change between versions: pinned values (computed
    /// independently), and `unit` is the first 13 hex digits of `hex` for any text.
    @Test func stableHashValuesArePinned() {
        #expect(StableHash.hex("a", "b") == "e57da31903de37b185a93df8f977de03")
        #expect(StableHash.hex("difficulty", "Pump P-101 cavitation — ünïcode") == "2ff478b0ec990d60afab8b63096d305e")
        #expect(StableHash.unit("difficulty", "Pump P-101 cavitation — ünïcode") == 0.18732408828200064)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let text = String((0..<Int.random(in: 0...40, using: &generator)).map { _ in "aZ 9—é\n".randomElement(using: &generator)! })
            let fromHex = Double(UInt64(StableHash.hex("noise", text).prefix(13), radix: 16)!) / Double(1 << 52)
            #expect(StableHash.unit("noise", text) == fromHex)
            // The first 16 digits are `value` in hex, zero-padded (about one text in 16 has a leading zero).
            let value = String(StableHash.value("noise", text), radix: 16)
            #expect(StableHash.hex("noise", text).prefix(16) == String(repeating: "0", count: 16 - value.count) + value)
        }
    }
}
