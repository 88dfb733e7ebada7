-- Tierflow schema, version 1.
-- Applied by `tierflow migrate` as the owner role (tierflow_owner). Worker roles get SELECT, INSERT and
-- UPDATE through the owner's default privileges (scripts/services.sh); they cannot drop or alter tables.

-- One row per query that entered the pipeline.
CREATE TABLE queries (
    id              text PRIMARY KEY,
    source          text        NOT NULL,          -- scada | chat | batch
    event_id        text,                          -- the publisher's id (SCADA event id), when it has one
    coalesced_into  text,                          -- an alarm-flood duplicate points at the query that answers it
    received_at     timestamptz NOT NULL,
    deadline        timestamptz,
    priority        text        NOT NULL DEFAULT 'live',
    site            text,
    asset           text,
    payload         jsonb       NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX queries_source_site_event_id ON queries (source, site, event_id) WHERE event_id IS NOT NULL;
CREATE INDEX queries_received_at ON queries (received_at);

-- One row per hop of one query. The logical key makes a replayed hop a no-op (ON CONFLICT DO NOTHING).
CREATE TABLE hops (
    query_id     text             NOT NULL,
    stage        text             NOT NULL,        -- ingest | layer0 | router | tier | evaluator | result
    tier         text             NOT NULL DEFAULT '',
    attempt      integer          NOT NULL DEFAULT 0,
    worker       text             NOT NULL,
    started_at   timestamptz      NOT NULL,
    finished_at  timestamptz      NOT NULL,
    decision     text             NOT NULL,        -- e.g. hit | miss | route:edge | answered | accept | escalate
    score        double precision,                 -- router estimate or evaluator confidence
    model        text,
    tokens_in    integer,
    tokens_out   integer,
    cost_usd     double precision NOT NULL DEFAULT 0,
    error        text,
    detail       jsonb,                            -- stage-specific facts (per-tier estimates, signals)
    output       jsonb,                            -- the message this hop published, for replay without rework
    PRIMARY KEY (query_id, stage, tier, attempt)
);
CREATE INDEX hops_finished_at ON hops (finished_at);

-- Exactly one final result per query.
CREATE TABLE results (
    query_id        text PRIMARY KEY,
    source          text             NOT NULL,
    layer           integer          NOT NULL,     -- 0 = knowledge base / cache, 1.. = tier position + 1
    tier            text,
    model           text,
    answer          text             NOT NULL,
    confidence      double precision,
    low_confidence  boolean          NOT NULL DEFAULT false,
    ended_by        text             NOT NULL DEFAULT 'accepted', -- accepted | top_tier | deadline | budget | layer0
    escalations     integer          NOT NULL DEFAULT 0,
    cost_usd        double precision NOT NULL DEFAULT 0,
    latency_ms      double precision,
    simulated       boolean          NOT NULL DEFAULT false,
    site            text,
    asset           text,
    history         jsonb,
    finished_at     timestamptz      NOT NULL DEFAULT now()
);
CREATE INDEX results_finished_at ON results (finished_at);

-- Messages parked on the dead-letter exchange, with the reason.
CREATE TABLE dead_letters (
    message_id   text PRIMARY KEY,
    query_id     text,
    queue        text        NOT NULL,
    reason       text        NOT NULL,
    body         bytea,
    headers      jsonb,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- Knowledge base and semantic cache entries (kind = 'kb' or 'cache').
CREATE TABLE kb_entries (
    id            bigserial PRIMARY KEY,
    key           text        NOT NULL UNIQUE,
    kind          text        NOT NULL DEFAULT 'kb',
    fault_code    text,
    asset_class   text,
    tag           text,
    question      text        NOT NULL,
    answer        text        NOT NULL,
    source        text,
    derived_from  text,                            -- cache entries: the kb key or query id they came from
    valid_until   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX kb_entries_fault_code ON kb_entries (fault_code);

-- Versioned router models; at most one active.
CREATE TABLE router_models (
    version      serial PRIMARY KEY,
    name         text        NOT NULL,
    model        jsonb       NOT NULL,
    metrics      jsonb,
    active       boolean     NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX router_models_one_active ON router_models (active) WHERE active;

-- Explicit feedback on a result: overrides the evaluator's label when the router retrains.
CREATE TABLE feedback (
    id                bigserial PRIMARY KEY,
    query_id          text        NOT NULL,
    rating            integer     NOT NULL,        -- -1 bad, 0 neutral, 1 good
    corrected_answer  text,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX feedback_query_id ON feedback (query_id);
