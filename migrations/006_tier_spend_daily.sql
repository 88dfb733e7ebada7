-- Today's spend per tier, kept up to date as hops are inserted. The router checks the daily budget every second;
-- summing the day's `hops` rows for that grows with the day's traffic (two seconds of database time per check
-- after a million-line batch) and stalls every commit behind it. This rollup makes the check read a few rows.
--
-- One row per (UTC day, tier, inserting backend): each connection adds to its own row, so writers never wait on
-- each other's row lock. Only hops actually inserted are counted (a replayed hop is skipped by ON CONFLICT DO
-- NOTHING and is not in the transition table). Deleting hops does not subtract from the rollup.
-- The trigger runs as the owner (SECURITY DEFINER): roles that write hops need no rights on the rollup, and
-- the worker role may only read it.
CREATE TABLE tier_spend_daily (
    day       date             NOT NULL,
    tier      text             NOT NULL,
    shard     integer          NOT NULL,          -- pg_backend_pid() of the inserting connection; 0 for the backfill
    cost_usd  double precision NOT NULL DEFAULT 0,
    hops      bigint           NOT NULL DEFAULT 0,
    PRIMARY KEY (day, tier, shard)
);

CREATE FUNCTION tierflow_add_tier_spend() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    INSERT INTO tier_spend_daily AS s (day, tier, shard, cost_usd, hops)
    SELECT (finished_at AT TIME ZONE 'UTC')::date, tier, pg_backend_pid(), sum(cost_usd), count(*)
    FROM inserted_hops WHERE stage = 'tier'
    GROUP BY 1, 2
    ON CONFLICT (day, tier, shard) DO UPDATE SET cost_usd = s.cost_usd + excluded.cost_usd, hops = s.hops + excluded.hops;
    RETURN NULL;
END
$$;

CREATE TRIGGER hops_add_tier_spend AFTER INSERT ON hops REFERENCING NEW TABLE AS inserted_hops
    FOR EACH STATEMENT EXECUTE FUNCTION tierflow_add_tier_spend();

INSERT INTO tier_spend_daily (day, tier, shard, cost_usd, hops)
SELECT (finished_at AT TIME ZONE 'UTC')::date, tier, 0, sum(cost_usd), count(*) FROM hops WHERE stage = 'tier' GROUP BY 1, 2;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tierflow_worker') THEN
        REVOKE INSERT, UPDATE, DELETE ON tier_spend_daily FROM tierflow_worker;
    END IF;
END
$$;
