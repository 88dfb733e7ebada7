import TierflowPostgres

extension PostgresGatewayStore: RateLimitStore {
    /// One statement on `rate_limit_buckets` (migration 005): the row lock serialises gateways taking from
    /// the same bucket, the refill uses the database's clock (so gateways' clocks do not matter), and
    /// `updated_at` never moves backwards when two visits overlap.
    public func takeTokens(keyId: String, perMinute: Int, want: Int, giveBack: Int) async throws -> BucketGrant {
        let rows = try await connection.query(
            """
            INSERT INTO rate_limit_buckets AS b (key_id, tokens, last_granted, updated_at)
            VALUES ($1, $2::float8 - least($3::integer, floor($2::float8)), least($3::integer, floor($2::float8)), now())
            ON CONFLICT (key_id) DO UPDATE SET (tokens, last_granted, updated_at) = (
                SELECT t.available - t.granted, t.granted, greatest(b.updated_at, now())
                FROM (
                    SELECT a.available, least($3::integer, greatest(0, floor(a.available)))::integer AS granted
                    FROM (SELECT least($2::float8, b.tokens + $4::float8
                              + greatest(0, extract(epoch FROM now() - b.updated_at)::float8) * $2::float8 / 60) AS available) a
                ) t)
            RETURNING last_granted, tokens
            """,
            [.string(keyId), .double(Double(perMinute)), .int(max(0, want)), .double(Double(max(0, giveBack)))])
        guard let row = rows.first else { return BucketGrant(granted: 0, remaining: 0) }
        return BucketGrant(granted: try row.int("last_granted") ?? 0, remaining: try row.double("tokens") ?? 0)
    }
}
