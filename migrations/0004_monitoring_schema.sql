-- Up Migration
-- Schema monitoring: the views analysts query (contract §7). Readable by credits_analyst and
-- nobody else; the views themselves live in views/monitoring/ and are applied with the functions.
create schema monitoring;
comment on schema monitoring is 'Read-only views over the credits ledger, for analysts and dashboards.';
revoke all on schema monitoring from public;
grant usage on schema monitoring to credits_analyst;
alter default privileges in schema monitoring revoke all on tables from public;
alter default privileges in schema monitoring grant select on tables to credits_analyst;

-- Down Migration
alter default privileges in schema monitoring revoke select on tables from credits_analyst;
alter default privileges in schema monitoring grant all on tables to public;
drop schema monitoring;
