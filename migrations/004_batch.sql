-- Batch re-diagnosis (issue 6): `tierflow batch run FILE` streams a CSV / JSONL export through the pipeline's
-- batch lane. One `batches` row per batch (its file, mapping, caps, state and the committed point to resume
-- from), one `batch_lines` row per input line (the query that answers it, or why it was skipped) and one
-- `batch_queries` row per distinct query of the batch (identical lines share one). The batch command commits
-- lines, queries and the resume point in one statement, after the broker confirmed the published queries.
-- Worker roles get SELECT, INSERT and UPDATE on the tables (owner's default privileges) and only SELECT on
-- the view.

CREATE TABLE batches (
    id               text PRIMARY KEY,
    file             text             NOT NULL,          -- the file as given to `batch run`
    format           text             NOT NULL,          -- csv | jsonl
    mapping          jsonb            NOT NULL,          -- column mapping and constants
    state            text             NOT NULL DEFAULT 'running', -- running | paused | cancelled | budget | done
    budget_usd       double precision,                   -- NULL: no cap
    rate_per_second  double precision,                   -- queries published per second; NULL: no cap
    max_in_flight    integer          NOT NULL DEFAULT 1000,
    total_lines      bigint,                             -- data lines in the file (physical lines, header excluded)
    next_offset      bigint           NOT NULL DEFAULT 0, -- byte offset just after the last committed record
    next_line        bigint           NOT NULL DEFAULT 1, -- physical line number at next_offset
    lines_read       bigint           NOT NULL DEFAULT 0, -- records committed, malformed ones included
    malformed        bigint           NOT NULL DEFAULT 0,
    queries          bigint           NOT NULL DEFAULT 0, -- distinct queries published and committed
    done_queries     bigint           NOT NULL DEFAULT 0,
    done_lines       bigint           NOT NULL DEFAULT 0, -- lines whose query has its result
    cost_usd         double precision NOT NULL DEFAULT 0, -- sum of the done queries' cost
    layer_counts     jsonb            NOT NULL DEFAULT '{}', -- done queries per layer ("0", "1", ...)
    runner           text,                               -- host:pid of the process running it
    heartbeat_at     timestamptz,
    created_at       timestamptz      NOT NULL DEFAULT now(),
    updated_at       timestamptz      NOT NULL DEFAULT now(),
    finished_at      timestamptz
);

CREATE TABLE batch_lines (
    batch_id   text   NOT NULL,
    line_no    bigint NOT NULL,                          -- physical line number in the file (1-based)
    query_id   text,                                     -- NULL for a skipped (malformed) line
    source_id  text,                                     -- the line's own id (event id, work-order id)
    previous   text,                                     -- the diagnosis the line carried, to compare
    error      text,                                     -- why the line was skipped
    PRIMARY KEY (batch_id, line_no)
);

CREATE TABLE batch_queries (
    batch_id    text    NOT NULL,
    query_id    text    NOT NULL,
    line_count  integer NOT NULL DEFAULT 0,
    done        boolean NOT NULL DEFAULT false,          -- its result is in `results` and counted in `batches`
    PRIMARY KEY (batch_id, query_id)
);
CREATE INDEX batch_queries_pending ON batch_queries (batch_id) WHERE NOT done;

-- One row per input line with its diagnosis (NULLs until answered, or for skipped lines).
CREATE VIEW batch_results AS
SELECT l.batch_id, l.line_no, l.source_id, l.query_id, l.previous, l.error, r.layer, r.tier, r.model, r.answer,
       r.confidence, r.low_confidence, r.ended_by, r.escalations, r.cost_usd, r.simulated, r.finished_at
FROM batch_lines l LEFT JOIN results r ON r.query_id = l.query_id;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tierflow_worker') THEN
        REVOKE INSERT, UPDATE, DELETE ON batch_results FROM tierflow_worker;
    END IF;
END
$$;
