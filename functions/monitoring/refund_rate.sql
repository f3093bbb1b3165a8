-- refund_rate: the one definition of the refund rate, used by monitoring.summary,
-- monitoring.platform_health and admin_credit_stats: of the generations started in a period,
-- the credits refunded divided by the credits charged (both from credits_private.task_credits,
-- by the time a generation started), rounded to 4 decimals (a double precision, like every
-- rate of the package: money is numeric, rates are not); null when nothing was charged.
-- So a refund paid today for a failure of 60 days ago counts in that day, never in today's rate.
-- In schema monitoring and executable by the analyst: functions called by a view run with its
-- reader's rights.
create or replace function monitoring.refund_rate(p_credits_refunded numeric, p_credits_charged numeric)
returns double precision
language sql
immutable
parallel safe
set search_path to pg_catalog, pg_temp
as $$
  select round(p_credits_refunded / nullif(p_credits_charged, 0), 4)::float8
$$;

comment on function monitoring.refund_rate(numeric, numeric) is
  'Refund rate of the generations started in a period: credits refunded / credits charged, 4 decimals; null when nothing was charged.';
revoke all on function monitoring.refund_rate(numeric, numeric) from public, anon, authenticated;
grant execute on function monitoring.refund_rate(numeric, numeric) to credits_analyst;
