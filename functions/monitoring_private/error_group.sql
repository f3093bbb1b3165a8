-- error_group: the text a failure's error message is grouped under in monitoring (the rollup
-- monitoring.failure_rollup_daily, the failures of admin_credit_stats): what varies from one
-- occurrence of an error to the next folds to '#' (dates and times; ids: uuids, hex runs of 8
-- and more; a number with a unit, "31s", "12 MB", "30 minutes"; other numbers of 4 digits and
-- more), and what tells errors apart stays: HTTP statuses, API versions, short numbers. So
-- "timeout after 31s (job 8f3a9c21)" and "timeout after 45s (job 77c1d2e4)" are one error, and
-- "WaveSpeed answered 502 to POST /api/v3/…" is not "… answered 429 …". At most 200 characters.
-- The rollups keep the groups of past days: a change to this rule comes with a migration that
-- sends the rollups' watermark back, as 0024 did, so that the next refresh regroups them.
create or replace function monitoring_private.error_group(p_message text)
returns text
language sql
immutable
parallel safe
set search_path to pg_catalog, pg_temp
return left(
  regexp_replace(regexp_replace(regexp_replace(regexp_replace(coalesce(p_message, '(no message)'),
    '[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?)?'
      || '|\m[0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?\M', '#', 'g'),
    '[0-9a-fA-F]{8,}(-[0-9a-fA-F]{4,})*', '#', 'g'),
    '\m[0-9]+(\.[0-9]+)?(?=\s*(ms|s|secs?|seconds?|min|mins|minutes?|h|hours?|B|bytes?|[kKMG]B)\M)', '#', 'g'),
    '[0-9]{4,}', '#', 'g'),
  200);

comment on function monitoring_private.error_group(text) is
  'The group of an error message in monitoring: ids, times and long numbers folded to #.';
revoke all on function monitoring_private.error_group(text) from public;
