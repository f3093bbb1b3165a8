-- provider_performance_last_7_days: what monitoring.provider_performance shows, for the tasks
-- started in the last 7 UTC days (today and the 6 before), as of the last refresh of the rollups:
-- monitoring_private.task_stats and monitoring_private.latency_percentiles (the histogram of
-- monitoring.latency_rollup_daily) for whole days, no raw row, so its cost does not grow with
-- the daily volume. Latency p50 and
-- p95 (submitted → finished, milliseconds) are approximate: the geometric middle of the
-- histogram bucket holding the percentile (percentile_disc's), within 4.9 %. A function so
-- that it runs without JIT whatever the caller's settings.
-- Never null: provider, generations, completed, failed, cost_usd, unpriced.
-- SECURITY DEFINER: the view's reader (credits_analyst) may not read the raw tasks, and a
-- function called from a view runs with its caller's EXECUTE right, so this one lives in
-- schema monitoring, granted like the view. It takes no argument: the analyst gets the 7-day
-- panel, not a scan of any range they choose.
-- unpriced: completions without a known cost; cost_per_success is over priced completions only,
-- cost_coverage the share of completions priced.
create or replace function monitoring.provider_performance_last_7_days()
returns table (
  provider text, generations integer, completed integer, failed integer, success_rate double precision,
  latency_p50_ms double precision, latency_p95_ms double precision, cost_usd numeric, cost_per_success numeric,
  unpriced integer, cost_coverage double precision
)
language sql
stable
security definer
set search_path to pg_catalog, pg_temp
set jit to off
as $$
  with r as (select d - interval '6 days' as p_from, d + interval '1 day' as p_to
               from (select date_trunc('day', now() at time zone 'UTC') at time zone 'UTC' as d) today),
  s as (select s.* from r, monitoring_private.task_stats(r.p_from, r.p_to, true) s),
  latency as (
    select l.provider, l.p50_ms as p50, l.p95_ms as p95
      from r, monitoring_private.latency_percentiles(r.p_from, r.p_to, true) l
     where l.model is null
  ), p as (
    select s.provider, sum(s.generations) as generations, sum(s.completed) as completed, sum(s.failed) as failed,
           sum(s.cost_usd) as cost_usd, sum(s.unpriced) as unpriced
      from s group by s.provider
  )
  select p.provider, p.generations::integer, p.completed::integer, p.failed::integer,
         monitoring.success_rate(p.completed, p.failed),
         l.p50, l.p95,
         round(coalesce(p.cost_usd, 0), 6),
         round(p.cost_usd / nullif(p.completed - p.unpriced, 0), 6),
         p.unpriced::integer,
         round((p.completed - p.unpriced)::numeric / nullif(p.completed, 0), 4)::float8
    from p left join latency l using (provider)
   order by p.provider
$$;

comment on function monitoring.provider_performance_last_7_days() is
  'Per provider, for tasks started in the last 7 UTC days as of the last refresh: success rate, latency p50/p95, cost.';
revoke all on function monitoring.provider_performance_last_7_days() from public, anon, authenticated;
grant execute on function monitoring.provider_performance_last_7_days() to credits_analyst;
