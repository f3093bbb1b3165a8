-- Up Migration
-- Error groups (issue 22): monitoring folded every digit of an error message to '#', the HTTP
-- status and the API version with them ("WaveSpeed answered # to POST /api/v#/…"). The rule is
-- now monitoring_private.error_group (functions/monitoring_private/error_group.sql): ids, times
-- and long numbers fold; statuses and short numbers stay. The rollups are derived data: as 0008
-- did, the watermark goes back so that the next monitoring.refresh_rollups() recomputes every
-- day from the raw rows with the new rule (one pass over the tasks, in the scheduled job, not
-- in this migration's lock); until then the dashboards show the old groups. A refresh running
-- now would write its own watermark over this one: wait for it (the deploy also holds this lock
-- until the new definitions are in, so that no refresh runs with the old rule in between).
select pg_advisory_xact_lock(hashtext('monitoring.refresh_rollups'));
update monitoring.rollup_state set watermark = '-infinity';
comment on table monitoring.failure_rollup_daily is
  'Failed tasks by start day, provider, model, source and error (monitoring_private.error_group: ids, times, long numbers folded to #).';

-- Down Migration
-- The same in reverse: the next refresh under the definitions of the release rolled back to
-- recomputes the groups with the rule of that release.
select pg_advisory_xact_lock(hashtext('monitoring.refresh_rollups'));
update monitoring.rollup_state set watermark = '-infinity';
comment on table monitoring.failure_rollup_daily is
  'Failed tasks by start day, provider, model, source and error (digits and ids folded to #).';
