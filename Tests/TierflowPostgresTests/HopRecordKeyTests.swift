import Testing

@testable import TierflowPostgres

@Suite("HopRecord.Key ordering")
struct HopRecordKeyTests {
    typealias Key = HopRecord.Key

    @Test("keys order by query id, stage, tier, then attempt; a prefix sorts first")
    func fieldOrder() {
        let keys = [
            Key(queryId: "q-b", stage: "layer0"), Key(queryId: "q-a", stage: "tier", tier: "gpu", attempt: 1),
            Key(queryId: "q-a", stage: "tier", tier: "edge", attempt: 2), Key(queryId: "q-a", stage: "tier", tier: "edge"),
            Key(queryId: "q-a", stage: "router"), Key(queryId: "q-", stage: "z"), Key(queryId: "q-aa", stage: "a"),
        ]
        #expect(keys.sorted() == [
            Key(queryId: "q-", stage: "z"), Key(queryId: "q-a", stage: "router"), Key(queryId: "q-a", stage: "tier", tier: "edge"),
            Key(queryId: "q-a", stage: "tier", tier: "edge", attempt: 2), Key(queryId: "q-a", stage: "tier", tier: "gpu", attempt: 1),
            Key(queryId: "q-aa", stage: "a"), Key(queryId: "q-b", stage: "layer0"),
        ])
    }

    @Test("equal keys are neither less nor greater; texts compare by their UTF-8 bytes")
    func strictOrder() {
        let key = Key(queryId: "chat-ü", stage: "tier", tier: "edge")
        #expect(!(key < key))
        #expect(Key(queryId: "", stage: "") < Key(queryId: "", stage: "a"))
        #expect(Key(queryId: "chat-z", stage: "tier") < Key(queryId: "chat-ü", stage: "tier"))  // 0x7A < 0xC3
        #expect(Key(queryId: "chat-ü", stage: "tier") < Key(queryId: "chat-🚀", stage: "tier"))
    }
}
