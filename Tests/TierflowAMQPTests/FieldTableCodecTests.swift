import CRabbitMQ
import Foundation
import Testing

@testable import TierflowAMQP

@Suite("Field tables and properties through the C structures")
struct FieldTableCodecTests {
    @Test func headersSurviveEncodeAndDecode() {
        let headers: [String: AMQPHeaderValue] = [
            "s": "text ✓", "i": .int(-42), "big": .int(Int64.max), "b": true, "d": 2.5, "bytes": .bytes([0, 0, 255]),
            "t": .timestamp(Date(timeIntervalSince1970: 1_700_000_000)), "void": .void,
            "a": .array([.int(1), .string("x"), .table(["k": .bool(false)])]),
            "nested": .table(["inner": .table(["deep": .int(3)])]),
        ]
        let arena = CArena(blockSize: 64)  // tiny block: exercises the overflow allocations too
        let table = FieldTableCodec.encode(headers, in: arena)
        #expect(table.num_entries == Int32(headers.count))
        #expect(FieldTableCodec.decode(table) == headers)
    }

    @Test func propertiesSurviveEncodeAndDecode() {
        let properties = AMQPMessageProperties(
            contentType: "application/json", contentEncoding: "gzip", deliveryMode: .transient, messageID: "id",
            correlationID: "corr", replyTo: "amq.gen-x", timestamp: Date(timeIntervalSince1970: 1_234_567_890),
            priority: 7, expiration: .milliseconds(1500), type: "t", userID: "u", appID: "app",
            headers: ["x-delivery-count": .int(3)])
        let arena = CArena()
        let encoded = PropertiesCodec.encode(properties, in: arena)
        let decoded = PropertiesCodec.decode(encoded)
        #expect(decoded == properties)
        #expect(decoded.deliveryCount == 3)
        #expect(PropertiesCodec.decode(PropertiesCodec.encode(.init(), in: arena)) == AMQPMessageProperties())
    }

    @Test func numbersSentAsTextStillReadAsIntegers() {
        let properties = AMQPMessageProperties(headers: ["x-delivery-count": "4"])
        #expect(properties.deliveryCount == 4)
        #expect(AMQPHeaderValue.string("nope").intValue == nil)
    }
}
