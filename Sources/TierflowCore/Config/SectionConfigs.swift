/// Where the broker is and how workers talk to it.
public struct BrokerConfig: Sendable, Hashable {
    /// The workers' (least-privilege) connection.
    public var url: ConnectionURL
    /// The connection that declares topology.
    public var adminURL: ConnectionURL
    public var heartbeatSeconds: Int
    /// Publishes awaiting a broker confirm at once, per connection.
    public var confirmWindow: Int

    init(_ node: ConfigNode) throws(ConfigError) {
        try node.keys(allowed: ["url", "admin_url", "heartbeat_seconds", "confirm_window"])
        url = ConnectionURL(try node.required("url").string())
        adminURL = ConnectionURL(try node.optional("admin_url")?.string() ?? url.value)
        for (key, value) in [("url", url), ("admin_url", adminURL)] where !value.value.hasPrefix("amqp://") {
            throw node[key].error(.invalidValue, "expected an amqp:// URL, got \"\(value)\"")
        }
        heartbeatSeconds = try node.optional("heartbeat_seconds")?.int(in: 0...3600) ?? 30
        confirmWindow = try node.optional("confirm_window")?.int(in: 1...65_535) ?? 256
    }
}

/// Where the database is.
public struct DatabaseConfig: Sendable, Hashable {
    /// The workers' (least-privilege) connection.
    public var url: ConnectionURL
    /// The schema owner's connection, used by `tierflow migrate`.
    public var ownerURL: ConnectionURL
    /// Most hop writes committed in one transaction.
    public var maxBatch: Int

    init(_ node: ConfigNode) throws(ConfigError) {
        try node.keys(allowed: ["url", "owner_url", "max_batch"])
        url = ConnectionURL(try node.required("url").string())
        ownerURL = ConnectionURL(try node.optional("owner_url")?.string() ?? url.value)
        for (key, value) in [("url", url), ("owner_url", ownerURL)]
        where !(value.value.hasPrefix("postgresql://") || value.value.hasPrefix("postgres://")) {
            throw node[key].error(.invalidValue, "expected a postgresql:// URL, got \"\(value)\"")
        }
        maxBatch = try node.optional("max_batch")?.int(in: 1...10_000) ?? 500
    }
}

/// Settings shared by every work queue.
public struct QueueConfig: Sendable, Hashable {
    /// Deliveries a Layer 0, router or evaluator process holds at once. A stage commits the hops of what it
    /// holds together, so under load a larger prefetch means fewer, larger transactions.
    public var prefetch: Int
    /// Deliveries of one message before the broker dead-letters it (quorum `x-delivery-limit`).
    public var deliveryLimit: Int
    /// Messages larger than this are dead-lettered with a reason.
    public var maxMessageBytes: Int
    /// Prefetch of each stage's batch-lane consumer: the most batch messages a worker holds at once.
    public var batchPrefetch: Int
    /// For this long after a live delivery, a worker runs batch messages one at a time.
    public var batchLiveQuietMs: Int
    /// While live traffic flows, a worker starts at most this many batch messages per second (0: no pacing).
    public var batchRateWhileLive: Int

    init(_ node: ConfigNode?) throws(ConfigError) {
        prefetch = 256
        deliveryLimit = 5
        maxMessageBytes = 1 << 20
        batchPrefetch = 8
        batchLiveQuietMs = 500
        batchRateWhileLive = 50
        guard let node else { return }
        try node.keys(allowed: [
            "prefetch", "delivery_limit", "max_message_bytes", "batch_prefetch", "batch_live_quiet_ms", "batch_rate_while_live",
        ])
        batchRateWhileLive = try node.optional("batch_rate_while_live")?.int(in: 0...1_000_000) ?? batchRateWhileLive
        batchLiveQuietMs = try node.optional("batch_live_quiet_ms")?.int(in: 0...600_000) ?? batchLiveQuietMs
        batchPrefetch = try node.optional("batch_prefetch")?.int(in: 1...1024) ?? batchPrefetch
        prefetch = try node.optional("prefetch")?.int(in: 1...65_535) ?? prefetch
        deliveryLimit = try node.optional("delivery_limit")?.int(in: 1...1000) ?? deliveryLimit
        maxMessageBytes = try node.optional("max_message_bytes")?.int(in: 1024...(128 << 20)) ?? maxMessageBytes
    }

    /// Deliveries a worker of `tier` holds at once: `prefetch`, but no more than twice the tier's
    /// `max_concurrency`, so a replica does not hoard calls it cannot start while other replicas idle, and a
    /// draining worker has little left to finish.
    public func prefetch(for tier: TierConfig) -> Int {
        min(prefetch, 2 * tier.maxConcurrency)
    }
}

/// How queries enter the pipeline.
public struct IngestConfig: Sendable, Hashable {
    public var exchange: String
    public var defaultDeadlineSeconds: Double
    /// Repeats of one fault on one asset within this window share one diagnosis.
    public var floodWindowSeconds: Double

    init(_ node: ConfigNode?, namespace: String) throws(ConfigError) {
        exchange = "\(namespace).ingest"
        defaultDeadlineSeconds = 120
        floodWindowSeconds = 60
        guard let node else { return }
        try node.keys(allowed: ["exchange", "default_deadline_seconds", "flood_window_seconds"])
        exchange = try node.optional("exchange")?.string() ?? exchange
        defaultDeadlineSeconds = try node.optional("default_deadline_seconds")?.double(in: 0.1...86_400) ?? defaultDeadlineSeconds
        floodWindowSeconds = try node.optional("flood_window_seconds")?.double(in: 0...86_400) ?? floodWindowSeconds
    }
}

/// Where final results are published.
public struct ResultsConfig: Sendable, Hashable {
    public var exchange: String

    init(_ node: ConfigNode?, namespace: String) throws(ConfigError) {
        exchange = "\(namespace).results"
        guard let node else { return }
        try node.keys(allowed: ["exchange"])
        exchange = try node.optional("exchange")?.string() ?? exchange
    }
}

/// The knowledge-base and cache layer.
public struct Layer0Config: Sendable, Hashable {
    public var enabled: Bool
    /// Lowest text similarity of a hit once every guard agrees (cosine of stemmed words, 0...1).
    public var similarityThreshold: Double
    /// A guard-compatible entry with a different answer this close to the best makes the lookup a miss.
    public var ambiguityMargin: Double
    /// Full reload of the in-memory index, a safety net behind LISTEN/NOTIFY.
    public var reloadSeconds: Double
    public var cache: Cache

    /// Which accepted answers are written back as cache entries.
    public struct Cache: Sendable, Hashable {
        public var enabled = true
        /// Only answers the evaluator accepted with at least this confidence.
        public var minConfidence = 0.85
        public var ttlSeconds = 7.0 * 86_400
        /// Also cache answers of the simulated backend (for demos and tests only).
        public var allowSimulated = false

        init(_ node: ConfigNode?) throws(ConfigError) {
            guard let node else { return }
            try node.keys(allowed: ["enabled", "min_confidence", "ttl_seconds", "allow_simulated"])
            enabled = try node.optional("enabled")?.bool() ?? enabled
            minConfidence = try node.optional("min_confidence")?.double(in: 0...1) ?? minConfidence
            ttlSeconds = try node.optional("ttl_seconds")?.double(in: 1...(10 * 365 * 86_400)) ?? ttlSeconds
            allowSimulated = try node.optional("allow_simulated")?.bool() ?? allowSimulated
        }
    }

    init(_ node: ConfigNode?) throws(ConfigError) {
        enabled = true
        similarityThreshold = 0.6
        ambiguityMargin = 0.05
        reloadSeconds = 300
        cache = try Cache(nil)
        guard let node else { return }
        try node.keys(allowed: ["enabled", "similarity_threshold", "ambiguity_margin", "reload_seconds", "cache"])
        enabled = try node.optional("enabled")?.bool() ?? enabled
        similarityThreshold = try node.optional("similarity_threshold")?.double(in: 0...1) ?? similarityThreshold
        ambiguityMargin = try node.optional("ambiguity_margin")?.double(in: 0...1) ?? ambiguityMargin
        reloadSeconds = try node.optional("reload_seconds")?.double(in: 1...86_400) ?? reloadSeconds
        cache = try Cache(node.optional("cache"))
    }
}

/// How the router picks a start tier.
public struct RouterConfig: Sendable, Hashable {
    public var kind: String
    /// The cheapest tier whose estimated success clears this is chosen.
    public var qualityTarget: Double
    public var dailyBudgetUSD: Double
    /// Critical alarms never start below this tier (nil: no floor).
    public var criticalStartTier: String?
    /// Kind `learned`: the model file used while `router_models` has no active version.
    public var model: String
    /// Kind `learned`: how often the router checks `router_models` for a newly activated version.
    public var reloadSeconds: Double

    init(_ node: ConfigNode?) throws(ConfigError) {
        kind = "transparent"
        qualityTarget = 0.75
        dailyBudgetUSD = 0
        criticalStartTier = nil
        model = "models/router-default.json"
        reloadSeconds = 5
        guard let node else { return }
        try node.keys(allowed: ["kind", "quality_target", "daily_budget_usd", "critical_start_tier", "model", "reload_seconds"])
        kind = try node.optional("kind")?.choice(["transparent", "learned"]) ?? kind
        qualityTarget = try node.optional("quality_target")?.double(in: 0...1) ?? qualityTarget
        dailyBudgetUSD = try node.optional("daily_budget_usd")?.double(in: 0...1_000_000_000) ?? dailyBudgetUSD
        criticalStartTier = try node.optional("critical_start_tier")?.string()
        model = try node.optional("model")?.string() ?? model
        reloadSeconds = try node.optional("reload_seconds")?.double(in: 0.1...86_400) ?? reloadSeconds
    }
}

/// How answers are judged.
public struct EvaluatorConfig: Sendable, Hashable {
    /// Spend cap per query: once reached the chain ends with the best answer so far.
    public var maxCostPerQueryUSD: Double

    init(_ node: ConfigNode?) throws(ConfigError) {
        maxCostPerQueryUSD = 0.05
        guard let node else { return }
        try node.keys(allowed: ["max_cost_per_query_usd"])
        maxCostPerQueryUSD = try node.optional("max_cost_per_query_usd")?.double(in: 0...1_000_000) ?? maxCostPerQueryUSD
    }
}
