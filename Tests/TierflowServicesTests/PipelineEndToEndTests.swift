import Foundation
import Testing
import TierflowCore
import TierflowPipeline

@testable import TierflowServices

/// The whole pipeline on the real broker and database, in-process, with the simulated backend.
@Suite("Pipeline end to end", .serialized, .enabled(if: liveServices))
struct PipelineEndToEndTests {
    /// edge answers everything well: every query ends at tier 1.
    static let strongEdge = """
          - {name: edge, backend: simulated, model: small, price: {input: 0, output: 0}, confidence_threshold: 0.6, simulated: {skill: 1}}
          - {name: gpu, backend: simulated, model: big, price: {input: 0.6, output: 0.8}, confidence_threshold: 0.6, simulated: {skill: 1}}
          - {name: cloud, backend: simulated, model: frontier, price: {input: 15, output: 75}, confidence_threshold: 0.5, simulated: {skill: 1}}
        """
    /// Only the top tier answers well: every query climbs edge → gpu → cloud.
    static let onlyCloud = """
          - {name: edge, backend: simulated, model: small, price: {input: 0, output: 0}, confidence_threshold: 0.6, simulated: {skill: 0}}
          - {name: gpu, backend: simulated, model: big, price: {input: 0.6, output: 0.8}, confidence_threshold: 0.6, simulated: {skill: 0}}
          - {name: cloud, backend: simulated, model: frontier, price: {input: 15, output: 75}, confidence_threshold: 0.5, simulated: {skill: 1}}
        """

    @Test func knowledgeBaseHitIsAnsweredAtLayerZero() async throws {
        let pipeline = try await PipelineHarness.start(tiers: Self.strongEdge, extra: "ingest: {flood_window_seconds: 0}")
        pipeline.knowledge.replaceAll([
            KnowledgeEntry(key: "kb:M013:pump", faultCode: "M013", assetClass: "pump", question: "Condenser plugged", answer: "Clean the condenser tubes.")
        ])
        let hit = try await pipeline.publish(event: pipeline.event(code: "M013"))
        let wrongClass = try await pipeline.publish(event: pipeline.event(code: "M013", assetClass: "fan"))
        let results = try await pipeline.results(for: [hit, wrongClass])
        let hops = try await pipeline.hops(hit)
        await pipeline.stop()

        #expect(results[hit]?.layer == 0)
        #expect(results[hit]?.endedBy == "layer0")
        #expect(results[wrongClass]?.layer == 1)  // a guard mismatch never hits
        #expect(Set(hops) == ["ingest#0:accepted", "layer0#0:hit", "result#0:layer0"])
    }

    @Test func easyQueryIsAnsweredByTheFirstTierAndLogsEveryHop() async throws {
        let pipeline = try await PipelineHarness.start(tiers: Self.strongEdge, extra: "ingest: {flood_window_seconds: 0}")
        let id = try await pipeline.publish(event: pipeline.event())
        let results = try await pipeline.results(for: [id])
        let hops = try await pipeline.hops(id)
        // The answer is stored once: in `results`, not again as the `result` hop's output.
        let stored = try await pipeline.database.query(
            """
            SELECT r.answer, h.output IS NULL AS no_copy
            FROM results r JOIN hops h ON h.query_id = r.query_id AND h.stage = 'result' WHERE r.query_id = $1
            """,
            [.string(id)])
        await pipeline.stop()

        let result = try #require(results[id])
        #expect(result.layer == 1)
        #expect(result.tier == "edge")
        #expect(result.simulated)
        #expect(result.escalations == 0)
        #expect(Set(hops) == ["ingest#0:accepted", "layer0#0:miss", "router#0:route:edge", "tier/edge#0:answered", "evaluator/edge#0:accept", "result#0:accepted"])
        #expect(try stored.first?.string("answer")?.isEmpty == false)
        #expect(try stored.first?.bool("no_copy") == true)
    }

    @Test func lowConfidenceEscalatesThroughEveryTierWithItsHistory() async throws {
        let pipeline = try await PipelineHarness.start(tiers: Self.onlyCloud, extra: "ingest: {flood_window_seconds: 0}")
        let id = try await pipeline.publish(event: pipeline.event())
        let results = try await pipeline.results(for: [id])
        let hops = try await pipeline.hops(id)
        await pipeline.stop()

        let result = try #require(results[id])
        #expect(result.layer == 3)
        #expect(result.tier == "cloud")
        #expect(result.escalations == 2)
        #expect(result.history.map(\.tier) == ["edge", "gpu", "cloud"])
        #expect(result.history.map(\.decision) == ["escalated", "escalated", "accepted"])
        #expect(result.history.allSatisfy { $0.confidence != nil })
        #expect(hops.contains("evaluator/edge#0:escalate:gpu"))
        #expect(hops.contains("evaluator/gpu#1:escalate:cloud"))
        #expect(hops.contains("tier/cloud#2:answered"))
    }

    @Test func spendCapEndsTheChainWithTheBestAnswerSoFar() async throws {
        let tiers = Self.onlyCloud.replacingOccurrences(of: "price: {input: 0, output: 0}", with: "price: {input: 50, output: 50}")
        let pipeline = try await PipelineHarness.start(
            tiers: tiers, extra: "ingest: {flood_window_seconds: 0}\nevaluator: {max_cost_per_query_usd: 0.000001}")
        let id = try await pipeline.publish(event: pipeline.event())
        let results = try await pipeline.results(for: [id])
        await pipeline.stop()

        let result = try #require(results[id])
        #expect(result.endedBy == "budget")
        #expect(result.lowConfidence)
        #expect(result.history.count == 1)  // the first paid answer already spent the cap
    }

    @Test func deadlineEndsTheChain() async throws {
        let tiers = Self.onlyCloud.replacingOccurrences(of: "simulated: {skill: 0}}", with: "simulated: {skill: 0, latency_ms: 400}}")
        let pipeline = try await PipelineHarness.start(
            tiers: tiers, extra: "ingest: {flood_window_seconds: 0, default_deadline_seconds: 0.2}")
        let id = try await pipeline.publish(event: pipeline.event())
        let results = try await pipeline.results(for: [id])
        await pipeline.stop()

        let result = try #require(results[id])
        #expect(result.endedBy == "deadline")
        #expect(result.lowConfidence)
        #expect(result.history.count == 1)
    }

    @Test func repeatedEventIdIsAnsweredOnce() async throws {
        let pipeline = try await PipelineHarness.start(tiers: Self.strongEdge, extra: "ingest: {flood_window_seconds: 0}")
        let event = pipeline.event()
        let id = try await pipeline.publish(event: event)
        try await pipeline.publish(event: event)
        try await pipeline.publish(event: event)
        let results = try await pipeline.results(for: [id])
        try await Task.sleep(for: .milliseconds(500))  // room for a wrongly duplicated chain to finish
        let resultRows = try await pipeline.count("SELECT count(*)::int AS n FROM results WHERE query_id = $1", id)
        let tierHops = try await pipeline.count("SELECT count(*)::int AS n FROM hops WHERE query_id = $1 AND stage = 'tier'", id)
        await pipeline.stop()

        #expect(results[id] != nil)
        #expect(resultRows == 1)
        #expect(tierHops == 1)
    }

    @Test func alarmFloodCostsOneDiagnosis() async throws {
        let pipeline = try await PipelineHarness.start(tiers: Self.strongEdge, extra: "ingest: {flood_window_seconds: 3600}")
        let stamp = Timestamp.format(Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 3600).rounded(.down) * 3600 + 5))
        var ids: Set<String> = []
        var eventIds: [String] = []
        let asset = "CH-\(UUID().uuidString.prefix(8))"
        for _ in 0..<6 {
            let event = pipeline.event(code: "M010", asset: asset, timestamp: stamp)
            eventIds.append(event.eventId)
            ids.insert(try await pipeline.publish(event: event))
        }
        #expect(ids.count == 1)
        let id = try #require(ids.first)
        let results = try await pipeline.results(for: ids)
        try await Task.sleep(for: .milliseconds(500))
        let tierHops = try await pipeline.count("SELECT count(*)::int AS n FROM hops WHERE query_id = $1 AND stage = 'tier'", id)
        let linked = try await pipeline.count("SELECT count(*)::int AS n FROM queries WHERE coalesced_into = $1", id)
        await pipeline.stop()

        #expect(results[id] != nil)
        #expect(tierHops == 1)
        #expect(linked == 6)
    }

    @Test func unusableMessagesAreDeadLetteredWithAReasonAndThePipelineGoesOn() async throws {
        let pipeline = try await PipelineHarness.start(tiers: Self.strongEdge, extra: "ingest: {flood_window_seconds: 0}")
        let tag = UUID().uuidString
        try await pipeline.publish(Array("{not json".utf8), messageId: "bad-json-\(tag)")
        try await pipeline.publish(Array(#"{"event_id":"x"}"#.utf8) + [0] + Array("}".utf8), messageId: "nul-\(tag)")
        try await pipeline.publish([0x7B, 0x22, 0xC3, 0x28, 0x22, 0x7D], messageId: "utf8-\(tag)")
        try await pipeline.publish(Array(repeating: UInt8(ascii: " "), count: 70_000), messageId: "big-\(tag)")
        try await pipeline.publish(Array(#"{"schema":9,"id":"q","payload":{}}"#.utf8), messageId: "schema-\(tag)")
        let good = try await pipeline.publish(event: pipeline.event())
        let results = try await pipeline.results(for: [good])

        var reasons: [String: String] = [:]
        let deadline = ContinuousClock.now + .seconds(10)
        while reasons.count < 5 && ContinuousClock.now < deadline {
            let rows = try await pipeline.database.query(
                "SELECT message_id, reason FROM dead_letters WHERE message_id LIKE $1", [.string("%-\(tag)")])
            for row in rows { reasons[try row.string("message_id")!] = try row.string("reason") }
            try await Task.sleep(for: .milliseconds(100))
        }
        await pipeline.stop()

        #expect(results[good] != nil)
        #expect(reasons["bad-json-\(tag)"] == "not valid JSON")
        #expect(reasons["nul-\(tag)"]?.hasPrefix("NUL byte at offset") == true)
        #expect(reasons["utf8-\(tag)"] == "invalid UTF-8 at offset 2")
        #expect(reasons["big-\(tag)"] == "message is 70000 bytes; the limit is 65536")
        #expect(reasons["schema-\(tag)"]?.contains("schema version 9") == true)
    }
}
