import Foundation
import Logging
import Testing
import TierflowCore
import TierflowPipeline
import TierflowPostgres

@testable import TierflowServices

/// Layer 0's knowledge base on the real PostgreSQL: NOTIFY to running loaders, invalidation, derived
/// cache entries, expiry. Each test uses keys and texts of its own, so it can run beside other data.
@Suite("Knowledge base on PostgreSQL", .serialized, .enabled(if: liveServices))
struct KnowledgeBaseLiveTests {
    static let owner = PostgresConfiguration(url: ProcessInfo.processInfo.environment["TIERFLOW_DATABASE_OWNER_URL"] ?? "")
    static let worker = PostgresConfiguration(url: ProcessInfo.processInfo.environment["TIERFLOW_DATABASE_URL"] ?? "")

    func chat(_ text: String) -> QueryPayload { .chat(ChatRequest(messages: [.init(role: "user", content: text)])) }

    /// A running Layer 0 index: a knowledge base and its loader (full reloads only every hour, so changes
    /// within a test can only arrive through NOTIFY).
    final class RunningIndex: Sendable {
        let knowledge = KnowledgeBase()
        let task: Task<Void, any Error>

        init() {
            let loader = KnowledgeBaseLoader(
                knowledge: knowledge, configuration: KnowledgeBaseLiveTests.worker, interval: .seconds(3600),
                logger: PipelineHarness.logger)
            task = Task { try await loader.run() }
        }

        /// Waits (up to 60 s: the first load reads every entry in the database) until `condition` holds.
        func eventually(_ condition: (KnowledgeBase) -> Bool) async -> Bool {
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                if condition(knowledge) { return true }
                try? await Task.sleep(for: .milliseconds(20))
            }
            return condition(knowledge)
        }

        func stop() async {
            task.cancel()
            _ = try? await task.value
        }
    }

    @Test func aChangeReachesEveryRunningLayer0ThroughNotify() async throws {
        let tag = "T" + UUID().uuidString.prefix(8).replacingOccurrences(of: "-", with: "")
        let connection = try await PostgresConnection.connect(configuration: Self.owner, logger: PipelineHarness.logger)
        let store = KnowledgeBaseStore(connection: connection)
        let sentinel = KnowledgeEntry(key: "test-sentinel-\(tag)", question: "Sentinel \(tag) for the pump?", answer: "loaded")
        try await store.upsert([sentinel])
        let first = RunningIndex()
        let second = RunningIndex()
        let loadedFirst = await first.eventually { $0.entry(forKey: sentinel.key) != nil }
        let loadedSecond = await second.eventually { $0.entry(forKey: sentinel.key) != nil }

        // Inserted after both finished their initial load: only NOTIFY can bring it.
        let question = "Which sensor is most relevant to bearing wear on pump unit \(tag)?"
        let entry = KnowledgeEntry(key: "test-\(tag)", question: question, answer: "vibration")
        try await store.upsert([entry])
        let insertedFirst = await first.eventually { $0.match(chat(question), now: Date())?.entry.answer == "vibration" }
        let insertedSecond = await second.eventually { $0.match(chat(question), now: Date())?.entry.answer == "vibration" }

        var edited = entry
        edited.answer = "oil debris"
        try await store.upsert([edited])
        let editedFirst = await first.eventually { $0.match(chat(question), now: Date())?.entry.answer == "oil debris" }
        let editedSecond = await second.eventually { $0.match(chat(question), now: Date())?.entry.answer == "oil debris" }

        try await store.delete(key: entry.key)
        try await store.delete(key: sentinel.key)
        let deletedFirst = await first.eventually { $0.match(chat(question), now: Date()) == nil }
        let deletedSecond = await second.eventually { $0.match(chat(question), now: Date()) == nil }
        await first.stop()
        await second.stop()
        await connection.close()

        #expect(loadedFirst && loadedSecond)
        #expect(insertedFirst && insertedSecond)
        #expect(editedFirst && editedSecond)
        #expect(deletedFirst && deletedSecond)
    }

    @Test func editingACuratedEntryInvalidatesTheCacheEntriesDerivedFromIt() async throws {
        let tag = "T" + UUID().uuidString.prefix(8).replacingOccurrences(of: "-", with: "")
        let connection = try await PostgresConnection.connect(configuration: Self.owner, logger: PipelineHarness.logger)
        let store = KnowledgeBaseStore(connection: connection)
        let curated = KnowledgeEntry(key: "test-kb-\(tag)", faultCode: "M\(tag)", question: "Fault \(tag)", answer: "Inspect the seal.")
        let cachedQuestion = "What does fault M\(tag) mean on the pump?"
        let cached = KnowledgeEntry(
            key: "cache:test-\(tag)", kind: "cache", faultCode: "M\(tag)", question: cachedQuestion, answer: "Inspect the seal.",
            derivedFrom: curated.key, validUntil: Date().addingTimeInterval(3600))
        try await store.upsert([curated])
        try await store.upsertCache([cached])
        let index = RunningIndex()
        let loaded = await index.eventually { $0.match(chat(cachedQuestion), now: Date())?.entry.key == cached.key }

        let unchanged = try await store.upsert([curated])  // the same content: no write, nothing invalidated
        let survivesNoOp = try await store.entry(key: cached.key) != nil
        var edited = curated
        edited.answer = "Replace the seal kit."
        try await store.upsert([edited])
        let goneFromDatabase = try await store.entry(key: cached.key) == nil
        let goneFromIndex = await index.eventually { $0.match(chat(cachedQuestion), now: Date()) == nil }

        try await store.upsertCache([cached])
        try await store.delete(key: curated.key)  // deleting the curated entry invalidates too
        let goneAfterDelete = try await store.entry(key: cached.key) == nil
        await index.stop()
        await connection.close()

        #expect(loaded)
        #expect(unchanged == 0)
        #expect(survivesNoOp)
        #expect(goneFromDatabase)
        #expect(goneFromIndex)
        #expect(goneAfterDelete)
    }

    @Test func invalidationByFaultCodeAndAssetAndExpiry() async throws {
        let tag = "T" + UUID().uuidString.prefix(8).replacingOccurrences(of: "-", with: "")
        let connection = try await PostgresConnection.connect(configuration: Self.owner, logger: PipelineHarness.logger)
        let store = KnowledgeBaseStore(connection: connection)
        let later = Date().addingTimeInterval(3600)
        func cache(_ name: String, code: String? = nil, asset: String? = nil, assetClass: String? = nil, until: Date? = later) -> KnowledgeEntry {
            KnowledgeEntry(
                key: "cache:test-\(name)-\(tag)", kind: "cache", faultCode: code, assetClass: assetClass, asset: asset,
                question: "\(name) question \(tag)?", answer: "a", derivedFrom: "q-\(tag)", validUntil: until)
        }
        let byCode = cache("code", code: "C\(tag)")
        let byAsset = cache("asset", asset: "P-\(tag)")
        let byClass = cache("class", assetClass: "class-\(tag)")
        let expired = cache("expired", until: Date().addingTimeInterval(-60))
        let curated = KnowledgeEntry(key: "test-kb-\(tag)", faultCode: "C\(tag)", question: "Curated \(tag)", answer: "kept")
        try await store.upsertCache([byCode, byAsset, byClass, expired])
        try await store.upsert([curated])
        let loaded = try await KnowledgeBaseStore(connection: connection).loadValid().map(\.key)

        let codeCount = try await store.invalidate(.init(faultCode: "c\(tag)"))
        let assetCount = try await store.invalidate(.init(asset: "p-\(tag)"))
        let classCount = try await store.invalidate(.init(asset: "CLASS-\(tag)"))
        let expiredCount = try await store.invalidate(.init(expiredOnly: true))
        let left = try await store.list(limit: 100_000).map(\.key).filter { $0.hasSuffix(tag) }
        try await store.delete(key: curated.key)
        await connection.close()

        #expect(loaded.contains(byCode.key))
        #expect(!loaded.contains(expired.key))  // an expired entry is never loaded
        #expect(codeCount == 1)
        #expect(assetCount == 1)
        #expect(classCount == 1)
        #expect(expiredCount >= 1)
        #expect(left == [curated.key])  // curated entries are never invalidated
    }

    @Test func theCacheNeverOverwritesACuratedEntry() async throws {
        let tag = "T" + UUID().uuidString.prefix(8).replacingOccurrences(of: "-", with: "")
        let connection = try await PostgresConnection.connect(configuration: Self.owner, logger: PipelineHarness.logger)
        let store = KnowledgeBaseStore(connection: connection)
        let curated = KnowledgeEntry(key: "test-\(tag)", question: "Curated \(tag)?", answer: "curated")
        try await store.upsert([curated])
        var impostor = curated
        impostor.answer = "from the cache"
        let written = try await store.upsertCache([impostor])
        let stored = try await store.entry(key: curated.key)
        try await store.delete(key: curated.key)
        await connection.close()

        #expect(written == 0)
        #expect(stored?.answer == "curated")
        #expect(stored?.kind == "kb")
    }
}
