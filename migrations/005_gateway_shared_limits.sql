-- Gateway state shared by every tierflow-gateway process: Idempotency-Key records and per-key rate-limit buckets.
-- Worker roles get SELECT, INSERT and UPDATE through the owner's default privileges; expired idempotency keys are
-- deleted only through tierflow_purge_idempotency_keys (SECURITY DEFINER), so workers need no DELETE right.

-- One row per (API key, Idempotency-Key) within the retention window. The request that inserts the row owns it:
-- it publishes the query `query_id` (derived from key id, idempotency key and generation, so a re-publish by a
-- request that takes over an expired lease is dropped by the pipeline's own dedup on the query id) and stores the
-- completion it answered with in `response`. Other requests with the same key wait for `response` or for the
-- query's row in `results`, and answer with the same completion.
CREATE TABLE idempotency_keys (
    key_id           text        NOT NULL,        -- api_keys.id, or 'anonymous'
    idempotency_key  text        NOT NULL,        -- as the client sent it (1-255 visible ASCII characters)
    generation       integer     NOT NULL DEFAULT 1,  -- +1 each time an expired row is claimed again
    fingerprint      text        NOT NULL,        -- sha256 of what the query is made of (model, messages, parameters)
    query_id         text        NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL,        -- created_at + gateway.idempotency_retention_hours
    lease_until      timestamptz NOT NULL,        -- the owning request waits until then; later, another may take over
    response         text,                        -- the chat.completion JSON sent, byte for byte
    completed_at     timestamptz,
    PRIMARY KEY (key_id, idempotency_key)
);
CREATE INDEX idempotency_keys_expires_at ON idempotency_keys (expires_at);

-- Deletes at most `max_rows` expired idempotency keys; returns how many. Runs as the owner, so the gateway's
-- role can purge expired rows without being able to delete live ones.
CREATE FUNCTION tierflow_purge_idempotency_keys(max_rows integer) RETURNS integer LANGUAGE sql SECURITY DEFINER
    SET search_path = public AS $$
    WITH gone AS (
        DELETE FROM idempotency_keys
        WHERE ctid IN (SELECT ctid FROM idempotency_keys WHERE expires_at <= now() LIMIT max_rows)
        RETURNING 1
    )
    SELECT count(*)::integer FROM gone
$$;

-- One token bucket per key, shared by every gateway (gateway.rate_limit.shared). Gateways take tokens with one
-- atomic INSERT … ON CONFLICT DO UPDATE that adds the refill since `updated_at` (database clock), takes up to a
-- batch and records how many it took in `last_granted` for RETURNING.
CREATE TABLE rate_limit_buckets (
    key_id        text             PRIMARY KEY,
    tokens        double precision NOT NULL,
    last_granted  integer          NOT NULL DEFAULT 0,
    updated_at    timestamptz      NOT NULL DEFAULT now()
);
