-- platform_health: one row, today (UTC) as of the last refresh of the rollups, each figure beside
-- its threshold and a status ('ok', 'alert', or 'no_data' for a rate with nothing to measure
-- yet): the success rate of the generations started today that have finished, their failures,
-- their refund rate (monitoring.refund_rate: credits refunded / charged of the generations
-- started today, so a backfill of old failures does not move it) and tasks stuck in flight right
-- now (counted live). Beside them, today's known spend: cost_usd, the completions without a known
-- cost (unpriced), the share of completions priced (cost_coverage) and cost_status 'incomplete'
-- when some are unpriced (today's spend is then more than cost_usd says). rollups_refreshed_at:
-- when today's figures were read; rollups_status 'stale' (older than rollups_stale_after_minutes)
-- or 'never' is an alert too — the figures cannot be trusted. status: 'alert' when a threshold
-- is crossed, else 'warn' when today's spend is incomplete, else 'ok' (an unknown price is a
-- warning, not an outage). Read from today's rollup rows, its cost does not grow with the day's
-- volume; the definition lives in monitoring.todays_health (live with p_as_of_refresh false).
-- Never null: day, success_status, failures, failures_status, refund_status, stuck_tasks, stuck_status, cost_usd, unpriced, cost_status, status, rollups_status.
create or replace view monitoring.platform_health as
select * from monitoring.todays_health(true);

comment on view monitoring.platform_health is
  'Today''s success rate, failures, refund rate and stuck tasks, each with its threshold and status, and today''s spend with its unpriced completions.';
revoke all on monitoring.platform_health from public;
grant select on monitoring.platform_health to credits_analyst;
