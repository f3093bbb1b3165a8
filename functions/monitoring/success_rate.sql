-- success_rate: the one definition of the success rate, used by monitoring.summary,
-- usage_by_provider_model, provider_performance, platform_health and admin_credit_stats: of the
-- generations that finished, the share that completed (completed / (completed + failed); those in
-- flight count in neither), rounded to 4 decimals (a double precision, as every rate); null when
-- none finished. The success_rate_min flags compare this rounded rate, as the refund rate's do.
-- In schema monitoring and executable by the analyst: functions called by a view run with its
-- reader's rights.
create or replace function monitoring.success_rate(p_completed numeric, p_failed numeric)
returns double precision
language sql
immutable
parallel safe
set search_path to pg_catalog, pg_temp
as $$
  select round(p_completed / nullif(p_completed + p_failed, 0), 4)::float8
$$;

comment on function monitoring.success_rate(numeric, numeric) is
  'Success rate of finished generations: completed / (completed + failed), 4 decimals; null when none finished.';
revoke all on function monitoring.success_rate(numeric, numeric) from public, anon, authenticated;
grant execute on function monitoring.success_rate(numeric, numeric) to credits_analyst;
