-- platform_health: one row, today (UTC) from the raw rows, each figure beside its threshold and
-- a status ('ok', 'alert', or 'no_data' for a rate with nothing to measure yet): the success
-- rate of the generations started today that have finished, their failures, their refund rate
-- (monitoring.refund_rate: credits refunded / charged of the generations started today, so a
-- backfill of old failures does not move it) and tasks stuck in flight right now. Today's
-- figures come from monitoring.todays_generations() (the rollups' definition). Beside them,
-- today's known spend: cost_usd, the completions without a known cost (unpriced), the share of
-- completions priced (cost_coverage) and cost_status 'incomplete' when some are unpriced (today's
-- spend is then more than cost_usd says). status: 'alert' when a threshold is crossed, else
-- 'warn' when today's spend is incomplete, else 'ok' (an unknown price is a warning, not an outage).
-- The definition lives in monitoring.todays_health (the dashboard reads it as of the last refresh).
-- Never null: day, success_status, failures, failures_status, refund_status, stuck_tasks, stuck_status, cost_usd, unpriced, cost_status, status.
create or replace view monitoring.platform_health as
select * from monitoring.todays_health();

comment on view monitoring.platform_health is
  'Today''s success rate, failures, refund rate and stuck tasks, each with its threshold and status, and today''s spend with its unpriced completions.';
revoke all on monitoring.platform_health from public;
grant select on monitoring.platform_health to credits_analyst;
