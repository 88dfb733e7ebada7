-- Gateway (tierflow-gateway): API keys, per-key daily spend, who gave feedback.
-- Keys are stored as the SHA-256 of the key (lower-case hex), never in clear; the gateway loads them into
-- memory and compares hashes in constant time. Worker roles need SELECT, INSERT and UPDATE only.

CREATE TABLE api_keys (
    id                     text PRIMARY KEY,                 -- public id (key_…), shown by `tierflow gateway key list`
    name                   text             NOT NULL,
    key_hash               text             NOT NULL UNIQUE, -- sha256(key), hex
    key_prefix             text             NOT NULL,        -- the key's first characters, to recognise it
    rate_limit_per_minute  integer,                          -- NULL: gateway.rate_limit_per_minute; 0: unlimited
    daily_budget_usd       double precision,                 -- NULL: gateway.daily_budget_usd; 0: unlimited
    created_at             timestamptz      NOT NULL DEFAULT now(),
    disabled               boolean          NOT NULL DEFAULT false,
    disabled_at            timestamptz
);

-- Money spent through each key per UTC day (sum of its results' cost_usd), added to by every gateway.
CREATE TABLE api_key_spend (
    key_id      text             NOT NULL,
    day         date             NOT NULL,
    cost_usd    double precision NOT NULL DEFAULT 0,
    requests    bigint           NOT NULL DEFAULT 0,
    updated_at  timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (key_id, day)
);

-- Feedback given through the gateway names the key that gave it.
ALTER TABLE feedback ADD COLUMN api_key_id text;
