-- Roles as scripts/services.sh makes them: the schema owner migrates, workers only read and write rows.
-- Runs once, when the PostgreSQL container initialises its data directory (as the superuser, in POSTGRES_DB).
CREATE ROLE tierflow_owner LOGIN PASSWORD 'tierflow-owner-dev';
CREATE ROLE tierflow_worker LOGIN PASSWORD 'tierflow-worker-dev';
ALTER DATABASE tierflow OWNER TO tierflow_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO tierflow_worker;
ALTER DEFAULT PRIVILEGES FOR ROLE tierflow_owner IN SCHEMA public GRANT SELECT, INSERT, UPDATE ON TABLES TO tierflow_worker;
ALTER DEFAULT PRIVILEGES FOR ROLE tierflow_owner IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO tierflow_worker;
