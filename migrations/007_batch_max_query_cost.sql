-- The dearest query a batch has paid for so far. The budget cap reserves this much for each query in flight
-- and each one it publishes: reserving the mean instead let a batch whose first answers were cheap publish
-- queries that together cost twice its cap.
ALTER TABLE batches ADD COLUMN max_query_cost_usd double precision NOT NULL DEFAULT 0;
