-- failures_by_provider_error: failed generations per UTC day, provider, model, source (callback,
-- api_error, timeout, admin) and error (grouped by monitoring_private.error_group: ids, times and
-- long numbers folded to '#').
-- Never null: day, provider, model, failure_source, error, failures.
create or replace view monitoring.failures_by_provider_error as
select r.day, r.provider, r.model, r.failure_source, r.error, r.failures
  from monitoring.failure_rollup_daily r;

comment on view monitoring.failures_by_provider_error is 'Failures per day, provider, model, source and error.';
revoke all on monitoring.failures_by_provider_error from public;
grant select on monitoring.failures_by_provider_error to credits_analyst;
