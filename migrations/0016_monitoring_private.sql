-- Up Migration
-- Schema monitoring_private: monitoring's internals (the rollups' sources, the exact figures for
-- a range, the top users, the windows' upkeep), apart from the ledger's (credits_private), so
-- the write path and the analysts' side each have their own place (issue 14). Like
-- credits_private, nobody but the owner may use it: the monitoring functions that call into it
-- are SECURITY DEFINER. The functions themselves are definitions (functions/monitoring_private/),
-- applied after this migration.
create schema monitoring_private;
comment on schema monitoring_private is 'Internal helpers of the monitoring layer; not an API.';
revoke all on schema monitoring_private from public;

-- Down Migration
-- The deploy drops every definition before migrations run down, so the schema is empty here.
drop schema monitoring_private;
