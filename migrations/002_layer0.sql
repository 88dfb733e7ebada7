-- Layer 0 (issue 5): the knowledge base and answer cache kept current in every Layer 0 process.
--
-- Every change to kb_entries is announced with pg_notify('tierflow_kb', key) by a trigger, so imports,
-- the evaluator's cache write-back, `tierflow kb ...` and hand edits in psql all reach running Layer 0
-- processes (each LISTENs and re-reads the keys it is told about). Editing or deleting a curated entry
-- deletes the cache entries derived from it (derived_from = its key), in the same transaction.

ALTER TABLE kb_entries ADD COLUMN asset text;   -- when set, only queries about this asset (P-101) match

CREATE INDEX kb_entries_derived_from ON kb_entries (derived_from) WHERE derived_from IS NOT NULL;
CREATE INDEX kb_entries_kind_valid_until ON kb_entries (kind, valid_until);
CREATE INDEX kb_entries_asset_class ON kb_entries (asset_class);
CREATE INDEX kb_entries_asset ON kb_entries (asset) WHERE asset IS NOT NULL;

CREATE FUNCTION tierflow_kb_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('tierflow_kb', OLD.key);
    ELSE
        PERFORM pg_notify('tierflow_kb', NEW.key);
        IF TG_OP = 'UPDATE' AND OLD.key IS DISTINCT FROM NEW.key THEN
            PERFORM pg_notify('tierflow_kb', OLD.key);
        END IF;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER kb_entries_notify AFTER INSERT OR UPDATE OR DELETE ON kb_entries
    FOR EACH ROW EXECUTE FUNCTION tierflow_kb_notify();

-- Runs as the schema owner: worker roles may not delete, but an edit they make must still invalidate.
CREATE FUNCTION tierflow_kb_invalidate_derived() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public AS $$
BEGIN
    DELETE FROM kb_entries WHERE kind = 'cache' AND derived_from = OLD.key;
    RETURN NULL;
END
$$;

CREATE TRIGGER kb_entries_invalidate_on_delete AFTER DELETE ON kb_entries
    FOR EACH ROW WHEN (OLD.kind = 'kb') EXECUTE FUNCTION tierflow_kb_invalidate_derived();

CREATE TRIGGER kb_entries_invalidate_on_edit AFTER UPDATE ON kb_entries
    FOR EACH ROW WHEN (OLD.kind = 'kb' AND (OLD.question, OLD.answer, OLD.fault_code, OLD.asset_class, OLD.tag, OLD.asset,
        OLD.valid_until) IS DISTINCT FROM (NEW.question, NEW.answer, NEW.fault_code, NEW.asset_class, NEW.tag, NEW.asset,
        NEW.valid_until))
    EXECUTE FUNCTION tierflow_kb_invalidate_derived();
