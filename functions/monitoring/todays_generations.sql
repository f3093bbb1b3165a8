-- todays_generations: the figures of the generations started today (UTC) that platform_health
-- shows, exactly, by the very definition the rollups use (monitoring_private.task_stats: today's
-- hourly rollups and the raw rows of the hours since the last refresh), so today's health and
-- tomorrow's summary row for today never disagree: outcomes, credits charged and refunded (the
-- refund rate's terms), known cost and completions without a known cost.
-- A function for two reasons: it runs without JIT (the planner, misled by the per-row cost of
-- the legacy branch of credits_private.task_credits, would compile for ~250 ms to save nothing),
-- and it is SECURITY DEFINER because the view's reader (credits_analyst) may not read the raw
-- rows nor execute credits_private helpers. No argument: today only.
-- Never null: completed, failed, credits_charged, credits_refunded, cost_usd, unpriced.
create or replace function monitoring.todays_generations()
returns table (
  completed integer, failed integer, credits_charged bigint, credits_refunded bigint, cost_usd numeric, unpriced integer
)
language sql
stable
security definer
set search_path to pg_catalog, pg_temp
set jit to off
as $$
  select coalesce(sum(s.completed), 0)::integer, coalesce(sum(s.failed), 0)::integer,
         coalesce(sum(s.credits_charged), 0)::bigint, coalesce(sum(s.credits_refunded), 0)::bigint,
         coalesce(sum(s.cost_usd), 0), coalesce(sum(s.unpriced), 0)::integer
    from monitoring_private.task_stats(date_trunc('day', now(), 'UTC'), 'infinity') s
$$;

comment on function monitoring.todays_generations() is
  'Outcomes, credits charged and refunded, known cost and unpriced completions of the generations started today (UTC).';
revoke all on function monitoring.todays_generations() from public, anon, authenticated;
grant execute on function monitoring.todays_generations() to credits_analyst;
