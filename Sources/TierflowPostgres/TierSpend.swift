/// Spend on model calls, read from the per-day rollup a trigger keeps as tier hops are inserted
/// (`migrations/006_tier_spend_daily.sql`): a few rows, however busy the day was.
public enum TierSpend {
    /// Today's spend in USD (the database's current UTC day), every tier and namespace together.
    public static func today(on connection: PostgresConnection) async throws -> Double {
        let rows = try await connection.query(
            "SELECT coalesce(sum(cost_usd), 0)::float8 AS spent FROM tier_spend_daily WHERE day = (now() AT TIME ZONE 'UTC')::date")
        return try rows.first?.double("spent") ?? 0
    }
}
