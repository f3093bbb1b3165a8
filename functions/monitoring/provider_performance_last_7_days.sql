-- provider_performance_last_7_days: what monitoring.provider_performance shows, for the tasks
-- started in the last 7 days, read from the rollups for the whole days and from the raw rows for
-- the two partial days only (credits_private.task_stats, and the latency histogram of
-- monitoring.latency_rollup_daily): its cost does not grow with the daily volume. Latency p50 and
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
  with r as (select now() - interval '7 days' as p_from, now() as p_to),
  s as (select s.* from r, credits_private.task_stats(r.p_from, r.p_to) s),
  b as (select b.* from r, credits_private.rollup_bounds(r.p_from, r.p_to) b),
  -- The latency histogram of the 7 days: whole days from the rollup, the partial edges raw.
  h as (
    select x.provider, x.bucket, sum(x.tasks) as tasks
      from (select l.provider, l.bucket, l.tasks
              from b, monitoring.latency_rollup_daily l
             where l.day >= (b.first_day at time zone 'UTC')::date and l.day < (b.cut at time zone 'UTC')::date
            union all
            select e.provider, e.bucket, e.tasks
              from r, b, credits_private.latency_rollup_source(r.p_from, case when b.cut > b.first_day then b.first_day else r.p_to end) e
            union all
            select e.provider, e.bucket, e.tasks
              from r, b, credits_private.latency_rollup_source(b.cut, r.p_to) e
             where b.cut > b.first_day) x
     group by 1, 2
  ), c as (
    select h.provider, h.bucket,
           sum(h.tasks) over (partition by h.provider order by h.bucket) as below,
           sum(h.tasks) over (partition by h.provider) as total
      from h
  ), latency as (
    -- The first bucket holding the p-th fraction of the tasks, read at its geometric middle.
    select c.provider,
           round(exp((min(c.bucket) filter (where c.below >= 0.50 * c.total) + 0.5) * ln(1.1)), 1)::float8 as p50,
           round(exp((min(c.bucket) filter (where c.below >= 0.95 * c.total) + 0.5) * ln(1.1)), 1)::float8 as p95
      from c group by c.provider
  ), p as (
    select s.provider, sum(s.generations) as generations, sum(s.completed) as completed, sum(s.failed) as failed,
           sum(s.cost_usd) as cost_usd, sum(s.unpriced) as unpriced
      from s group by s.provider
  )
  select p.provider, p.generations::integer, p.completed::integer, p.failed::integer,
         round(p.completed::numeric / nullif(p.completed + p.failed, 0), 4)::float8,
         l.p50, l.p95,
         round(coalesce(p.cost_usd, 0), 6),
         round(p.cost_usd / nullif(p.completed - p.unpriced, 0), 6),
         p.unpriced::integer,
         round((p.completed - p.unpriced)::numeric / nullif(p.completed, 0), 4)::float8
    from p left join latency l using (provider)
   order by p.provider
$$;

comment on function monitoring.provider_performance_last_7_days() is
  'Per provider, for tasks started in the last 7 days: success rate, latency p50/p95, cost.';
revoke all on function monitoring.provider_performance_last_7_days() from public, anon, authenticated;
grant execute on function monitoring.provider_performance_last_7_days() to credits_analyst;
