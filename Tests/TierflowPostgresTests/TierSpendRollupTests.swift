import Foundation
import Testing

@testable import TierflowPostgres

@Suite("Daily tier spend rollup (live)", .enabled(if: LiveDatabase.isEnabled))
struct TierSpendRollupTests {
    @Test("inserted tier hops add their cost to today's rollup once; replays and other stages add nothing")
    func rollupCountsInsertedTierHopsOnce() async throws {
        try await LiveDatabase.migrateSharedDatabase()
        let suffix = LiveDatabase.uniqueSuffix()
        let prefix = "test-spend-\(suffix)-"
        let tier = "spend-test-\(suffix)"
        let writer = HopLogWriter(
            configuration: LiveDatabase.configuration(url: LiveDatabase.workerURL, application: "tierflow-tests-spend"),
            logger: LiveDatabase.logger)
        let reader = try await LiveDatabase.connect(url: LiveDatabase.workerURL)
        func spend() async throws -> (cost: Double, hops: Int) {
            let rows = try await reader.query(
                """
                SELECT coalesce(sum(cost_usd), 0)::float8 AS cost, coalesce(sum(hops), 0)::int8 AS hops FROM tier_spend_daily
                WHERE day = (now() AT TIME ZONE 'UTC')::date AND tier = $1
                """, [.string(tier)])
            return (try rows[0].double("cost") ?? -1, try rows[0].int("hops") ?? -1)
        }
        let units = (0..<40).map { index in
            var unit = HopFixtures.unit(prefix: prefix, index: index, stage: index < 30 ? "tier" : "router")
            unit.hop.tier = tier
            unit.hop.costUSD = 0.25
            return unit
        }

        _ = try await HopFixtures.writeConcurrently(units, to: writer)
        let first = try await spend()
        #expect(first.hops == 30, "only the tier stage's hops count")
        #expect(abs(first.cost - 30 * 0.25) < 1e-9)

        let replay = try await HopFixtures.writeConcurrently(units + units, to: writer)
        #expect(replay.allSatisfy { $0.hop == .duplicate })
        let second = try await spend()
        #expect(second.hops == 30, "a replayed hop is not counted again")
        #expect(abs(second.cost - first.cost) < 1e-9)

        await writer.close()
        await reader.close()
        try await LiveDatabase.deleteRows(queryIdPrefix: prefix)
    }
}
