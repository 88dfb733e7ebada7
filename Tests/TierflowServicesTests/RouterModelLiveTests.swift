import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import TierflowCore
@testable import TierflowPipeline
@testable import TierflowPostgres
@testable import TierflowServices

/// The learned router against the real database: versions, activation check, hot reload, log labels.
/// Serialized: `router_models` has one active version for the whole database. Each test restores the
/// version that was active before it and deletes the rows it made.
@Suite("Learned router models in PostgreSQL", .serialized, .enabled(if: liveServices))
struct RouterModelLiveTests {
    static let logger: Logger = {
        var logger = Logger(label: "tierflow.router.test")
        logger.logLevel = .warning
        return logger
    }()

    static func connect() async throws -> PostgresConnection {
        try await PostgresConnection.connect(
            configuration: PostgresConfiguration(url: ProcessInfo.processInfo.environment["TIERFLOW_DATABASE_OWNER_URL"] ?? ""),
            logger: logger)
    }

    /// Toy data: the weak model fails on prompts with "theorem", the strong one never.
    static func examples(flipped: Bool = false) -> [RoutingExample] {
        let words = ["pump", "valve", "flow", "alarm", "motor", "tank", "sensor", "belt"]
        return (0..<160).map { index in
            let hard = index % 3 == 0
            var text = (0..<5).map { words[(index * 7 + $0 * 3) % words.count] }.joined(separator: " ")
            if hard { text += " theorem" }
            let weak: Double = hard ? 0 : 1
            return RoutingExample(
                id: "live-\(index)", dataset: "live", query: RouterQuery(text: text),
                scores: ["weak": flipped ? 1 - weak : weak, "strong": flipped ? 0 : 1])
        }
    }

    static func train(name: String, flipped: Bool = false) async throws -> SuccessModelTrainer.Outcome {
        let options = TrainingOptions(
            featurizer: .init(hashBits: 10, charWeight: 0, structureWeight: 0), l2: 1e-3, iterations: 40, heldBackFraction: 0.25)
        return try await SuccessModelTrainer(options: options)
            .train(examples: examples(flipped: flipped), models: ["weak", "strong"], name: name, dataNames: ["live"])
    }

    /// Runs `body` with a store, then deletes the versions named `names` and restores the active version.
    static func withStore(_ body: (RouterModelStore, PostgresConnection) async throws -> Void) async throws {
        let connection = try await connect()
        let store = RouterModelStore(connection: connection)
        let previous = try await store.activeVersion()
        let firstNew = (try await connection.query("SELECT COALESCE(max(version), 0) AS v FROM router_models").first?.int("v") ?? 0) + 1
        do {
            try await body(store, connection)
        } catch {
            Issue.record(error)
        }
        try await connection.execute("DELETE FROM router_models WHERE version >= $1 AND name LIKE 'test-%'", [.int(firstNew)])
        if let previous { try await store.activate(version: previous) } else { try await store.deactivateAll() }
        await connection.close()
    }

    @Test func versionsAreStoredLoadedListedAndActivated() async throws {
        try await Self.withStore { store, _ in
            let model = try await Self.train(name: "test-a").model
            let first = try await store.save(model, metrics: ["held_back.logloss": 0.3], activate: false)
            let second = try await store.save(model, metrics: [:], activate: true)
            #expect(try await store.activeVersion() == second)
            let loaded = try await store.load(version: first)
            #expect(loaded.weights.values == model.weights.values && loaded.bias == model.bias)
            let scorer = try LearnedScorer(model: loaded)
            let original = try LearnedScorer(model: model)
            for example in Self.examples().prefix(20) {
                #expect(scorer.probabilities(for: example.query) == original.probabilities(for: example.query))
            }
            try await store.activate(version: first)
            #expect(try await store.activeVersion() == first)
            let listed = try await store.list(limit: 5)
            #expect(listed.first { $0.version == first }?.active == true)
            #expect(listed.first { $0.version == first }?.metrics["held_back.logloss"] == 0.3)
            await #expect(throws: LearnedRouterError.self) { try await store.activate(version: 999_999_999) }
        }
    }

    @Test func aWorseModelIsNotActivated() async throws {
        try await Self.withStore { store, _ in
            let good = try await Self.train(name: "test-good")
            let bad = try await Self.train(name: "test-bad", flipped: true)
            let activator = RouterModelActivator(store: store)
            guard case .activated(let goodVersion, _) = try await activator.activate(good.model, metrics: [:], heldBack: good.heldBack, force: true) else {
                Issue.record("the first model was not activated")
                return
            }
            let outcome = try await activator.activate(bad.model, metrics: [:], heldBack: good.heldBack)
            guard case .refused(let active, let comparison) = outcome else {
                Issue.record("a worse model was activated")
                return
            }
            #expect(active == goodVersion)
            #expect(comparison.candidateLoss > comparison.incumbentLoss)
            #expect(try await store.activeVersion() == goodVersion)
            let better = try await activator.activate(good.model, metrics: [:], heldBack: good.heldBack)
            guard case .activated(let newVersion, let check) = better else {
                Issue.record("an equally good model was refused")
                return
            }
            #expect(check?.candidateIsNoWorse == true)
            #expect(try await store.activeVersion() == newVersion)
        }
    }

    @Test func hotReloadSwitchesVersionsUnderLoadWithoutDroppingAQuery() async throws {
        try await Self.withStore { store, _ in
            let first = try await store.save(try await Self.train(name: "test-first").model, metrics: [:], activate: true)
            let second = try await store.save(try await Self.train(name: "test-second").model, metrics: [:], activate: false)
            let scorer = SwappableScorer(TransparentScorer())
            let url = ProcessInfo.processInfo.environment["TIERFLOW_DATABASE_URL"] ?? ""
            let reloader = RouterModelReloader(
                scorer: scorer, interval: .milliseconds(50), logger: Self.logger, fallback: { TransparentScorer() },
                connect: { try await PostgresConnection.connect(configuration: PostgresConfiguration(url: url), logger: Self.logger) })
            let group = ServiceGroup(services: [reloader], logger: Self.logger)
            let running = Task { try await group.run() }
            defer { running.cancel() }
            #expect(try await Self.wait { scorer.version == first })

            let config = try PipelineConfig.parse(yaml: """
                broker: {url: "amqp://u:p@127.0.0.1:5699/x"}
                database: {url: "postgresql://u:p@127.0.0.1:5499/x"}
                tiers:
                  - {name: edge, backend: openai, model: s, price: {input: 0, output: 0}}
                  - {name: gpu, backend: openai, model: m, price: {input: 0.6, output: 0.8}}
                  - {name: cloud, backend: anthropic, model: l, price: {input: 15, output: 75}}
                """)
            let stage = RouterStage(config: config, scorer: scorer, state: SystemStateMonitor(logger: Self.logger) { SystemState() })
            let counters = LoadCounters()
            let load = Task {
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    for worker in 0..<4 {
                        tasks.addTask {
                            var index = 0
                            while !counters.stop.load(ordering: .relaxed) {
                                index += 1
                                let envelope = QueryEnvelope(
                                    id: "reload-\(worker)-\(index)", source: .chat, receivedAt: Date(),
                                    payload: .chat(ChatRequest(messages: [.init(role: "user", content: "pump valve theorem \(index)?")])))
                                let outcome = try await stage.handle(IncomingMessage(body: EnvelopeCodec().encode(envelope)))
                                let model = outcome.writes.first?.hop.model ?? "none"
                                if outcome.publications.count == 1 && outcome.rejection == nil { counters.handled.add(1, ordering: .relaxed) }
                                counters.routed.withLock { $0[model, default: 0] += 1 }
                                await Task.yield()
                            }
                        }
                    }
                    try await tasks.waitForAll()
                }
            }
            try await Task.sleep(for: .milliseconds(200))
            try await store.activate(version: second)
            #expect(try await Self.wait { scorer.version == second })
            try await Task.sleep(for: .milliseconds(200))
            counters.stop.store(true, ordering: .relaxed)
            try await load.value
            let byModel = counters.routed.withLock { $0 }
            let total = byModel.values.reduce(0, +)
            #expect(total > 0 && counters.handled.load(ordering: .relaxed) == total)  // every query routed exactly once
            #expect(byModel.keys.contains { $0.hasPrefix("learned-v\(first):") })
            #expect(byModel.keys.contains { $0.hasPrefix("learned-v\(second):") })
            #expect(byModel.keys.allSatisfy { $0.hasPrefix("learned-v") })

            try await store.deactivateAll()
            #expect(try await Self.wait { scorer.version == nil && scorer.name == "transparent" })
            await group.triggerGracefulShutdown()
            try await running.value
        }
    }

    @Test func hopLogGivesTierLabels() async throws {
        let connection = try await Self.connect()
        let suffix = String(UInt64.random(in: 0..<UInt64.max), radix: 36)
        let accepted = "rl-acc-\(suffix)"
        let escalated = "rl-esc-\(suffix)"
        let overruled = "rl-fb-\(suffix)"
        let payload = String(decoding: EnvelopeCodec().encode(QueryPayload.chat(ChatRequest(messages: [.init(role: "user", content: "why does the pump cavitate?")]))), as: UTF8.self)
        let now = Date()
        for id in [accepted, escalated, overruled] {
            try await connection.execute(
                "INSERT INTO queries (id, source, received_at, payload) VALUES ($1, 'chat', $2, $3::jsonb)", [.string(id), .date(now), .json(payload)])
        }
        func hop(_ id: String, _ tier: String, _ attempt: Int, _ decision: String) async throws {
            try await connection.execute(
                "INSERT INTO hops (query_id, stage, tier, attempt, worker, started_at, finished_at, decision) VALUES ($1, 'evaluator', $2, $3, 'test', $4, $4, $5)",
                [.string(id), .string(tier), .int(attempt), .date(now), .string(decision)])
        }
        try await hop(accepted, "edge", 0, "accept")
        try await hop(escalated, "edge", 0, "escalate:gpu")
        try await hop(escalated, "gpu", 1, "accept")
        try await hop(overruled, "edge", 0, "accept")
        try await connection.execute(
            "INSERT INTO results (query_id, source, layer, tier, answer) VALUES ($1, 'chat', 1, 'edge', 'x')", [.string(overruled)])
        try await connection.execute("INSERT INTO feedback (query_id, rating) VALUES ($1, -1)", [.string(overruled)])

        let examples = try await RouterTrafficLog(connection: connection).labelledExamples(since: now.addingTimeInterval(-1), limit: 100_000)
        let byId = Dictionary(uniqueKeysWithValues: examples.map { ($0.id, $0) })
        #expect(byId[accepted]?.scores == ["edge": 1])
        #expect(byId[escalated]?.scores == ["edge": 0, "gpu": 1])
        #expect(byId[overruled]?.scores == ["edge": 0])
        #expect(byId[overruled]?.labelWeights?["edge"] == 2)
        #expect(byId[accepted]?.query.text == "why does the pump cavitate?")

        for table in ["feedback", "results", "hops"] {
            try await connection.execute("DELETE FROM \(table) WHERE query_id = ANY($1)", [.array([accepted, escalated, overruled].map { .string($0) })])
        }
        try await connection.execute("DELETE FROM queries WHERE id = ANY($1)", [.array([accepted, escalated, overruled].map { .string($0) })])
        await connection.close()
    }

    /// Polls `condition` for up to 10 s.
    static func wait(_ condition: @Sendable () -> Bool) async throws -> Bool {
        for _ in 0..<200 {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return condition()
    }
}

/// What the load in the hot-reload test counts: queries routed (by scorer name) and handled once.
final class LoadCounters: Sendable {
    let handled = Atomic<Int>(0)
    let routed = Mutex<[String: Int]>([:])
    let stop = Atomic<Bool>(false)
}
