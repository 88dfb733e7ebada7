import Foundation
import TierflowServices

/// One fault-injection scenario: steady load on a fresh pipeline, one fault, recovery, the ledger check.
public struct FaultScenario: Sendable {
    /// Which backend the `edge` tier uses (the other tiers are always simulated).
    public enum EdgeBackend: Sendable {
        case simulated
        /// The scripted LLM server: `bad` responses (given the planned number of queries) first, then `then`.
        case scripted(bad: @Sendable (Int) -> [ScriptedLLMServer.Response], then: ScriptedLLMServer.Response, tierYAML: String)
    }

    public var name: String
    /// What is injected, for the report.
    public var title: String
    /// Part of the shortened run (`--quick`, CI).
    public var quick: Bool
    /// Processes started with `TIERFLOW_FAULT_CRASH`, given the planned number of queries.
    public var armed: @Sendable (Int) -> [String: String] = { _ in [:] }
    public var edge: EdgeBackend = .simulated
    /// Whether a restarted armed process is armed again (the N-th message after each restart).
    public var rearm = false
    /// Share of events published a second time.
    public var repeatShare = 0.05
    /// When the fault is injected, as a share of the load's duration.
    public var faultAt = 0.3
    /// Injects the fault; calls ``ScenarioContext/faultStarted()`` and ``ScenarioContext/faultEnded()``.
    public var inject: @Sendable (ScenarioContext) async throws -> Void
    /// Checks beyond the ledger; returns failures.
    public var verify: @Sendable (ScenarioContext) async throws -> [String] = { _ in [] }

    public init(
        name: String, title: String, quick: Bool, inject: @escaping @Sendable (ScenarioContext) async throws -> Void
    ) {
        self.name = name
        self.title = title
        self.quick = quick
        self.inject = inject
    }
}

extension FaultScenario {
    /// Every scenario, in the order the suite runs them.
    public static var all: [FaultScenario] {
        crashScenarios + [crashWithChangingAnswers] + brokerScenarios + databaseScenarios + backendScenarios + messageScenarios + [sigterm, SecurityChecks.scenario]
    }

    // MARK: kill -9 at deterministic crash points

    static var crashScenarios: [FaultScenario] {
        FaultInjection.Point.allCases.map { point in
            // The N-th message reaching the point, spread so the crashes fall at different times of the load.
            let armed: @Sendable (Int) -> [String: String]
            switch point {
            case .afterLLM:
                armed = { planned in
                    ["worker-edge": "\(point):\(max(3, planned / 6))", "worker-gpu": "\(point):\(max(2, planned / 12))"]
                }
            default:
                armed = { planned in
                    [
                        "layer0": "\(point):\(max(3, planned / 5))", "router": "\(point):\(max(3, planned / 3))",
                        "worker-edge": "\(point):\(max(3, planned / 6))", "evaluator": "\(point):\(max(3, planned / 2))",
                    ]
                }
            }
            let kinds = point == .afterLLM ? "tier workers edge and gpu" : "layer0, router, worker-edge, evaluator"
            var scenario = FaultScenario(
                name: "kill-\(point)", title: "kill -9 at \(point) (\(kinds)), each restarted",
                quick: point == .afterCommit || point == .beforeAck
            ) { context in
                // The crashes come by themselves; wait for all of them and their restarts.
                let expected = Set(context.scenario.armed(context.plannedQueries).keys)
                let limit = context.quick ? Duration.seconds(40) : .seconds(60)
                let done = await context.wait(upTo: limit) {
                    let crashed = Set(context.crashes.map(\.name))
                    if !crashed.isEmpty { context.faultStarted() }
                    return expected.isSubset(of: crashed) && expected.allSatisfy { context.restarts[$0, default: 0] >= 1 }
                }
                context.faultEnded()
                if !done { context.note("not every armed process reached its crash point") }
            }
            scenario.faultAt = 0
            scenario.armed = armed
            scenario.verify = { context in
                let expected = context.scenario.armed(context.plannedQueries)
                var failures: [String] = []
                for name in expected.keys.sorted() {
                    let deaths = context.crashes.filter { $0.name == name }
                    if deaths.isEmpty { failures.append("\(name) never reached \(expected[name]!)") }
                    if deaths.contains(where: { $0.status != .signalled(SIGKILL) }) { failures.append("\(name) ended other than by SIGKILL") }
                }
                let unexpected = Set(context.crashes.map(\.name)).subtracting(expected.keys)
                if !unexpected.isEmpty { failures.append("unarmed processes died: \(unexpected.sorted())") }
                context.note("crashed and restarted: " + expected.keys.sorted().map { "\($0) (\(expected[$0]!))" }.joined(separator: ", "))
                return failures
            }
            return scenario
        }
    }

    /// kill -9 of the edge worker after it published its answer, with a backend that answers differently
    /// every time (as a real model may): the redelivered query is answered again, and the two answers race.
    static var crashWithChangingAnswers: FaultScenario {
        var scenario = FaultScenario(
            name: "kill-after-publish-changing-answers",
            title: "kill -9 at after-publish of worker-edge, again after every restart, the edge backend answering differently on every call",
            quick: true
        ) { context in
            let done = await context.wait(upTo: context.loadDuration + .seconds(20)) {
                let crashes = context.crashes.filter { $0.name == "worker-edge" }
                if !crashes.isEmpty { context.faultStarted() }
                return context.restarts["worker-edge", default: 0] >= 3
            }
            context.faultEnded()
            if !done { context.note("worker-edge crashed \(context.crashes.count) times, fewer than 3") }
        }
        scenario.faultAt = 0
        scenario.armed = { planned in ["worker-edge": "after-publish:\(max(3, planned / 10))"] }
        scenario.rearm = true
        scenario.edge = .scripted(
            bad: { planned in
                (0..<(planned * 3)).map { index in
                    index % 2 == 0
                        ? .completion("Answer \(index): the suction strainer is blocked; isolate the pump and clean the strainer before restarting.")
                        : .completion("Answer \(index): I am not sure what causes this alarm. It could be many things.")
                }
            },
            then: .completion("Late answer: check the suction strainer."),
            tierYAML: "timeout_seconds: 2, max_concurrency: 8")
        scenario.verify = { context in
            let deaths = context.crashes.filter { $0.name == "worker-edge" }.count
            context.note("worker-edge was killed \(deaths) times after publishing")
            return deaths >= 3 ? [] : ["worker-edge was killed \(deaths) times, expected 3"]
        }
        return scenario
    }

    // MARK: Broker

    static var brokerScenarios: [FaultScenario] {
        var restart = FaultScenario(name: "broker-restart", title: "RabbitMQ node stopped and started", quick: false) { context in
            context.faultStarted()
            try await context.services.stopRabbitMQ()
            try await Task.sleep(for: .seconds(2))
            try await context.services.startRabbitMQ()
            context.faultEnded()
        }
        restart.verify = noneDiedAndReconnected

        var close = FaultScenario(name: "broker-connection-close", title: "broker closes every client connection (twice, 3 s apart)", quick: true) {
            context in
            context.faultStarted()
            try await context.services.rabbitmqctl(["close_all_connections", "-p", context.vhost, "fault injection: broker-side close"])
            try await Task.sleep(for: .seconds(3))
            try await context.services.rabbitmqctl(["close_all_connections", "-p", context.vhost, "fault injection: broker-side close"])
            context.faultEnded()
        }
        close.verify = noneDiedAndReconnected

        var alarm = FaultScenario(name: "broker-memory-alarm", title: "memory alarm: publishers blocked for 10 s, then released", quick: false) {
            context in
            context.faultStarted()
            try await context.services.rabbitmqctl(["set_vm_memory_high_watermark", "0.0001"])
            let blocked = await context.wait(upTo: .seconds(15)) { context.load.statistics.sawBlocked }
            context.note(blocked ? "the load's publisher was blocked by the broker" : "the load's publisher never saw connection.blocked")
            try await Task.sleep(for: .seconds(10))
            try await context.services.rabbitmqctl(["set_vm_memory_high_watermark", "0.4"])
            context.faultEnded()
        }
        alarm.faultAt = 0.2
        alarm.verify = { context in
            var failures = try await noneDiedAndReconnected(context)
            if !context.load.statistics.sawBlocked { failures.append("publishers were never blocked: the alarm did not take") }
            return failures
        }
        return [restart, close, alarm]
    }

    // MARK: Database

    static var databaseScenarios: [FaultScenario] {
        var restart = FaultScenario(name: "postgres-restart", title: "PostgreSQL restarted (fast shutdown, start)", quick: true) { context in
            context.faultStarted()
            try await context.services.stopPostgres()
            try await context.services.startPostgres()
            context.faultEnded()
        }
        restart.verify = noneDiedAndReconnected

        var outage = FaultScenario(name: "postgres-outage-30s", title: "PostgreSQL unavailable for 30 s", quick: false) { context in
            context.faultStarted()
            try await context.services.stopPostgres()
            try await Task.sleep(for: .seconds(30))
            let alive = context.processes.running.count
            context.note("\(alive) of \(ScenarioContext.stages.count) workers still running at the end of the outage")
            try await context.services.startPostgres()
            context.faultEnded()
        }
        outage.faultAt = 0.2
        outage.verify = { context in
            var failures = try await noneDied(context)
            // Each worker says it is unhealthy while the database is away, and healthy again after.
            var silent: [String] = []
            for stage in ScenarioContext.stages {
                let name = ScenarioContext.name(stage)
                let log = context.processes.log(name)
                if !log.contains("unhealthy: database unreachable") || !log.contains("healthy again") { silent.append(name) }
            }
            if !silent.isEmpty { failures.append("did not report unhealthy and healthy again: \(silent.joined(separator: ", "))") }
            else { context.note("every worker reported unhealthy during the outage and healthy again after it") }
            return failures
        }
        return [restart, outage]
    }

    // MARK: Backend misbehaviour (the edge tier on the scripted server)

    static var backendScenarios: [FaultScenario] {
        let good = ScriptedLLMServer.Response.completion(
            "The discharge pressure is low because the suction strainer is blocked. Isolate the pump, clean the strainer and check the suction valve is fully open before restarting.")
        let tier = "timeout_seconds: 1, max_concurrency: 8, retry: {max_attempts: 3, base_delay_ms: 50, max_delay_ms: 400}, circuit_breaker: {failures: 20, cooldown_seconds: 1}"
        func scenario(_ name: String, _ title: String, quick: Bool, tierYAML: String = tier, bad: @escaping @Sendable (Int) -> [ScriptedLLMServer.Response]) -> FaultScenario {
            var scenario = FaultScenario(name: name, title: title, quick: quick) { context in
                guard let llm = context.llm else { throw FaultSuiteError("no scripted LLM server") }
                let badCount = bad(context.plannedQueries).count
                context.faultStarted()
                // The fault lasts until the scripted failures are used up, or the load ends (the breaker and the
                // escalations may spare the backend some of them).
                _ = await context.wait(upTo: context.loadDuration + .seconds(2), every: .milliseconds(200)) {
                    ((try? await llm.recorded(context.scenario.name))?.count ?? 0) >= badCount
                }
                context.faultEnded()
            }
            scenario.faultAt = 0
            scenario.edge = .scripted(bad: bad, then: good, tierYAML: tierYAML)
            scenario.verify = { context in
                var failures = try await noneDied(context)
                let served = try await context.llm?.recorded(context.scenario.name).count ?? 0
                let badCount = bad(context.plannedQueries).count
                context.note("the edge backend got \(served) requests; the first \(badCount) were scripted to misbehave")
                if served < min(badCount, 10) { failures.append("the backend was hardly called (\(served) requests): the fault was not exercised") }
                let edgeLog = context.processes.log("worker-edge")
                let open = edgeLog.components(separatedBy: "circuit_open").count - 1
                let failed = edgeLog.components(separatedBy: "backend call failed").count - 1
                context.note("worker-edge logged \(failed) failed calls, \(open) of them refused by the open circuit breaker (escalated without a call)")
                if let deepest = context.deepestQueue, deepest.depth > 0 {
                    context.note("deepest queue: \(deepest.name.split(separator: ".").suffix(2).joined(separator: ".")) at \(deepest.depth) ready messages")
                }
                return failures
            }
            return scenario
        }
        return [
            scenario("backend-429-storm", "edge backend answers 429 (Retry-After: 1) to a burst of requests", quick: true) { planned in
                Array(repeating: .error(429, retryAfter: 1), count: max(40, planned / 2))
            },
            scenario("backend-500s", "edge backend answers 500 to two requests in three", quick: false) { planned in
                (0..<max(60, planned)).map { $0 % 3 == 2 ? good : .error(500) }
            },
            scenario("backend-timeouts", "edge backend takes 3 s (tier timeout 1 s)", quick: false) { planned in
                Array(repeating: ScriptedLLMServer.Response.completion("late", delayMilliseconds: 3000), count: max(30, planned / 5))
            },
            scenario("backend-garbage-json", "edge backend returns truncated JSON with status 200 to half the requests", quick: false) { planned in
                (0..<max(60, planned)).map { $0 % 2 == 0 ? .garbage : good }
            },
            scenario(
                "backend-slow", "edge backend takes 1 s per answer at 4 at a time: the edge queue builds up", quick: false,
                tierYAML: "timeout_seconds: 5, max_concurrency: 4, retry: {max_attempts: 2, base_delay_ms: 50, max_delay_ms: 200}"
            ) { planned in
                Array(repeating: ScriptedLLMServer.Response.completion("slow but fine", delayMilliseconds: 1000), count: max(40, planned / 3))
            },
        ]
    }

    // MARK: Messages: poison and repeats

    static var messageScenarios: [FaultScenario] {
        var poison = FaultScenario(
            name: "poison-messages", title: "bad JSON, invalid UTF-8, NUL bytes, oversize, unknown schema version, at ingest and at every stage queue",
            quick: true
        ) { context in
            context.faultStarted()
            try await publishPoison(context)
            context.faultEnded()
        }
        poison.verify = { context in
            var failures = try await noneDied(context)
            if context.crashes.isEmpty { context.note("no worker crashed or restarted (no crash loop)") }
            let rows = try await context.database.query(
                "SELECT message_id, reason FROM dead_letters WHERE message_id LIKE $1 ORDER BY message_id", [.string("poison-\(context.runTag)-%")])
            var places: Set<String> = []
            for row in rows {
                let id = try row.string("message_id") ?? ""
                let reason = try row.string("reason") ?? ""
                if reason.isEmpty { failures.append("\(id) dead-lettered without a reason") }
                places.insert(String(id.dropFirst("poison-\(context.runTag)-".count).split(separator: "-").first ?? ""))
            }
            context.note("\(rows.count) poison messages dead-lettered with a reason, at \(places.sorted().joined(separator: ", "))")
            return failures
        }

        var repeats = FaultScenario(
            name: "duplicate-events", title: "every other event published twice (at once, or seconds later)", quick: false
        ) { context in
            context.faultStarted()
            // Besides the load's own repeats: a burst of events sent twice back to back.
            for index in 0..<20 {
                let event = context.load.event(100_000 + index)
                async let first: Void = context.load.publish(event)
                async let second: Void = context.load.publish(event, repeat: true)
                _ = await (first, second)
            }
            context.faultEnded()
        }
        repeats.repeatShare = 0.5
        repeats.verify = { context in
            let rows = try await context.database.query(
                """
                SELECT count(*)::int AS n FROM (SELECT query_id FROM hops WHERE stage = 'tier' AND query_id = ANY($1)
                GROUP BY query_id, attempt HAVING count(*) > 1) AS twice
                """, [.array(context.ledger.queryIds.map { .string($0) })])
            let twice = try rows.first?.int("n") ?? 0
            context.note("\(context.load.statistics.repeats) repeated publishes; queries with a tier attempt logged twice: \(twice)")
            return twice == 0 ? [] : ["\(twice) queries had an attempt answered twice"]
        }
        return [poison, repeats]
    }

    /// The poison set, at ingest and straight onto each stage's queue.
    static func publishPoison(_ context: ScenarioContext) async throws {
        let limit = context.config.queues.maxMessageBytes
        let bodies: [(String, [UInt8])] = [
            ("bad-json", Array("{not json".utf8)),
            ("invalid-utf8", [0x7B, 0x22, 0x61, 0xC3, 0x28, 0x22, 0x3A, 0x31, 0x7D]),
            ("nul-byte", Array(#"{"event_id":"x"#.utf8) + [0] + Array(#"","site":"s"}"#.utf8)),
            ("oversize", Array(repeating: UInt8(ascii: " "), count: limit + 1)),
            ("unknown-schema", Array(#"{"schema":99,"id":"poison-q","payload":{}}"#.utf8)),
        ]
        let name = context.runTag
        for (kind, body) in bodies {
            for copy in 0..<3 {
                // No type: the ingest stage tells the kind from the body (an envelope by its schema field).
                try await context.load.publishPoison(body, messageId: "poison-\(name)-ingest-\(kind)-\(copy)", type: nil)
            }
        }
        // Stage queues receive envelopes: garbage there must be parked too, not retried forever.
        let work = context.topology.workExchange
        for (key, stage) in [(PipelineTopology.routerKey, "router"), (PipelineTopology.evaluatorKey, "evaluator"), (PipelineTopology.tierKey("edge"), "tier")] {
            for (kind, body) in bodies where kind != "oversize" || stage == "router" {
                try await context.load.publishPoison(
                    body, messageId: "poison-\(name)-\(stage)-\(kind)", exchange: work, routingKey: key, type: "envelope")
            }
        }
    }

    // MARK: SIGTERM

    static var sigterm: FaultScenario {
        var scenario = FaultScenario(name: "sigterm-drain", title: "SIGTERM to every worker under load: drain, exit 0, restart", quick: true) {
            context in
            context.supervise(false)
            context.faultStarted()
            let statuses = try await context.processes.terminateAll(within: .seconds(30))
            context.record.withLock { $0.notes.append("exit statuses: " + statuses.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")) }
            context.sigtermStatuses.withLock { $0 = statuses }
            for stage in ScenarioContext.stages { try context.start(stage.executable, tier: stage.tier) }
            context.faultEnded()
            context.supervise(true)
        }
        scenario.faultAt = 0.4
        scenario.verify = { context in
            var failures: [String] = []
            let statuses = context.sigtermStatuses.withLock { $0 }
            if statuses.count != ScenarioContext.stages.count { failures.append("not every worker was signalled") }
            for (name, status) in statuses.sorted(by: { $0.key < $1.key }) where status != 0 {
                failures.append("\(name) exited \(status) after SIGTERM (expected 0 after draining)")
            }
            let undrained = ScenarioContext.stages.map(ScenarioContext.name).filter { !context.processes.log($0).contains("draining") }
            if !undrained.isEmpty { failures.append("no drain logged by \(undrained.joined(separator: ", "))") }
            if !context.crashes.isEmpty { failures.append("processes died: \(context.crashes.map(\.name))") }
            return failures
        }
        return scenario
    }

    /// No worker died on its own, and how many reconnects the workers logged.
    @Sendable static func noneDiedAndReconnected(_ context: ScenarioContext) async throws -> [String] {
        let reconnects = ScenarioContext.stages.map { context.processes.log(ScenarioContext.name($0)) }
            .map { $0.components(separatedBy: "reconnecting").count - 1 }.reduce(0, +)
        context.note("the workers logged \(reconnects) lost connections (each followed by a reconnect)")
        return try await noneDied(context)
    }

    /// No worker died on its own during the scenario.
    @Sendable static func noneDied(_ context: ScenarioContext) async throws -> [String] {
        let crashes = context.crashes
        return crashes.isEmpty ? [] : ["workers died: " + crashes.map { "\($0.name) (\($0.status))" }.joined(separator: ", ")]
    }
}
