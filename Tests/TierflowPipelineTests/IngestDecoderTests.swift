import Foundation
import Testing

@testable import TierflowCore
@testable import TierflowPipeline

@Suite("Ingest")
struct IngestDecoderTests {
    let decoder = IngestDecoder(codec: EnvelopeCodec(maxMessageBytes: 8192), defaultDeadline: .seconds(120), floodWindowSeconds: 60)
    let now = Date(timeIntervalSince1970: 1_795_000_000)

    @Test func repeatedEventIdIsTheSameQuery() throws {
        let first = try decoder.decode(Fixtures.json(Fixtures.event(id: "e1")), metadata: .init(), now: now)
        let again = try decoder.decode(Fixtures.json(Fixtures.event(id: "e1")), metadata: .init(), now: now.addingTimeInterval(3))
        #expect(first.arrivalId == again.arrivalId)
        #expect(first.envelope.id == again.envelope.id)
        #expect(first.envelope.deadline == now.addingTimeInterval(120))
        #expect(first.envelope.linkedEvents == ["e1"])
    }

    @Test func aFloodSharesOneQueryButKeepsItsArrivals() throws {
        let a = try decoder.decode(Fixtures.json(Fixtures.event(id: "e1", timestamp: "2026-11-23T10:00:05Z")), metadata: .init(), now: now)
        let b = try decoder.decode(Fixtures.json(Fixtures.event(id: "e2", timestamp: "2026-11-23T10:00:40Z")), metadata: .init(), now: now)
        #expect(a.envelope.id == b.envelope.id)
        #expect(a.arrivalId != b.arrivalId)
        #expect(a.coalescible && b.coalescible)
        // Another asset, another fault, or another window is another query.
        let otherAsset = try decoder.decode(Fixtures.json(Fixtures.event(id: "e3", asset: "P-102")), metadata: .init(), now: now)
        let otherCode = try decoder.decode(Fixtures.json(Fixtures.event(id: "e4", code: "M002")), metadata: .init(), now: now)
        let later = try decoder.decode(Fixtures.json(Fixtures.event(id: "e5", timestamp: "2026-11-23T10:05:00Z")), metadata: .init(), now: now)
        #expect(Set([a.envelope.id, otherAsset.envelope.id, otherCode.envelope.id, later.envelope.id]).count == 4)
    }

    @Test func withoutAWindowEveryEventIsItsOwnQuery() throws {
        let plain = IngestDecoder(codec: EnvelopeCodec(), defaultDeadline: .seconds(10), floodWindowSeconds: 0)
        let a = try plain.decode(Fixtures.json(Fixtures.event(id: "e1")), metadata: .init(), now: now)
        #expect(a.envelope.id == a.arrivalId)
        #expect(!a.coalescible)
    }

    @Test func chatGetsReplyAddressAndStableId() throws {
        let body = Array(#"{"messages":[{"role":"user","content":"Why is the chiller short-cycling?"}]}"#.utf8)
        let metadata = IngestMetadata(messageId: "m-7", correlationId: "c-1", replyTo: "amq.gen-abc")
        let query = try decoder.decode(body, metadata: metadata, now: now)
        #expect(query.envelope.source == .chat)
        #expect(query.envelope.reply == ReplyAddress(replyTo: "amq.gen-abc", correlationId: "c-1"))
        #expect(try decoder.decode(body, metadata: metadata, now: now).envelope.id == query.envelope.id)
        #expect(try decoder.decode(body, metadata: IngestMetadata(messageId: "m-8"), now: now).envelope.id != query.envelope.id)
    }

    @Test func readyEnvelopesPassThrough() throws {
        let envelope = Fixtures.envelope(.faultEvent(Fixtures.event()))
        let query = try decoder.decode(Fixtures.json(envelope), metadata: .init(), now: now)
        #expect(query.envelope.id == "q-test")
    }

    @Test func badInputIsRejectedWithAReason() throws {
        func reason(_ text: String) -> MessageRejection? {
            do { _ = try decoder.decode(Array(text.utf8), metadata: .init(), now: now); return nil } catch { return error }
        }
        #expect(reason("not json")?.code == .notJSON)
        #expect(reason("{\"hello\": 1}")?.reason.contains("unknown message type") == true)
        #expect(reason(#"{"event_id":"e","site":"s","asset":"a","severity":"high"}"#)?.reason == "message: required field is missing")
        #expect(reason(#"{"event_id":"","site":"s","asset":"a","severity":"high","message":"m"}"#)?.reason == "event_id: must not be empty")
        #expect(reason(#"{"messages":[]}"#)?.reason.contains("at least one message") == true)
        #expect(reason(#"{"messages":[{"role":"user","content":"a\u0000b"}]}"#)?.code == .nulByte)
    }
}
