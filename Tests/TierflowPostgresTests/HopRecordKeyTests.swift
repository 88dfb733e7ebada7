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

@Suite("HopBatch lock order")
struct HopBatchLockOrderTests {
    @Test("the lock order is a hash every process computes alike (pinned), and tells the key's fields apart")
    func lockOrderIsStable() {
        #expect(HopRecord.Key(queryId: "evt-1", stage: "tier", tier: "edge", attempt: 0).lockOrder == 0x4a2a_c896_ee99_3028)
        #expect(HopRecord.Key(queryId: "evt-1", stage: "tier", tier: "edge").lockOrder
            != HopRecord.Key(queryId: "evt-1", stage: "tier", tier: "edge", attempt: 1).lockOrder)
        #expect(
            HopRecord.Key(queryId: "evt-1", stage: "tieredge").lockOrder
                != HopRecord.Key(queryId: "evt-1", stage: "tier", tier: "edge").lockOrder)
    }

    @Test("each distinct key once, with the first unit that carries it, in hash order")
    func firstOwnersByHash() {
        let pairs = [("b", 0), ("a", 1), ("b", 2), ("c", 3), ("a", 4)]
        let hashes: [String: UInt64] = ["a": 30, "b": 10, "c": 20]
        let owners = HopBatch.firstOwners(pairs) { hashes[$0]! }
        #expect(owners.map(\.key) == ["b", "c", "a"])
        #expect(owners.map(\.index) == [0, 3, 1])
    }

    @Test("keys whose hashes collide are ordered by key, and repeats still go to their first unit")
    func firstOwnersOnCollidingHashes() {
        let pairs = [("b", 0), ("a", 1), ("b", 2), ("c", 3), ("a", 4)]
        let owners = HopBatch.firstOwners(pairs) { _ in 7 }
        #expect(owners.map(\.key) == ["a", "b", "c"])
        #expect(owners.map(\.index) == [1, 0, 3])
    }
}
