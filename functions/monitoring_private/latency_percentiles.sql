-- latency_percentiles: latency p50 and p95 (submitted → finished, milliseconds) of the tasks
-- started in [p_from, p_to) that finished, per provider and model, and per provider over all
-- its models (model null), from the histograms of monitoring.latency_rollup_daily,
-- latency_rollup_hourly and the raw rows (monitoring_private.latency_rollup_source), as
-- rollup_parts splits the range (see task_stats). A percentile is the geometric middle of the bucket holding it (the bucket of
-- percentile_disc's answer): within 4.9 % of the exact latency, however many tasks it covers.
create or replace function monitoring_private.latency_percentiles(p_from timestamptz, p_to timestamptz, p_as_of_refresh boolean default false)
returns table (provider text, model text, tasks bigint, p50_ms double precision, p95_ms double precision)
language sql
stable
set search_path to pg_catalog, pg_temp
set jit to off
as $$
  with parts as (select * from monitoring_private.rollup_parts(p_from, p_to, p_as_of_refresh)),
  rows as (
    select s.provider, s.model, s.bucket, s.tasks
      from (select * from parts where parts.kind = 'raw') p, monitoring_private.latency_rollup_source(p.part_from, p.part_to) s
    union all
    select s.provider, s.model, s.bucket, s.tasks
      from parts p join monitoring.latency_rollup_hourly s on p.kind = 'hourly' and s.hour >= p.part_from and s.hour < p.part_to
    union all
    select s.provider, s.model, s.bucket, s.tasks
      from parts p join monitoring.latency_rollup_daily s
        on p.kind = 'daily' and s.day >= (p.part_from at time zone 'UTC')::date and s.day < (p.part_to at time zone 'UTC')::date
  ), h as (
    -- each model's histogram, and its provider's (model null)
    select p.provider, p.model, p.bucket, sum(p.tasks) as tasks
      from rows p group by grouping sets ((p.provider, p.model, p.bucket), (p.provider, p.bucket))
  ), c as (
    select h.provider, h.model, h.bucket,
           sum(h.tasks) over (partition by h.provider, h.model order by h.bucket) as below,
           sum(h.tasks) over (partition by h.provider, h.model) as total
      from h
  )
  -- The first bucket holding the p-th fraction of the tasks, read at its geometric middle.
  select c.provider, c.model, max(c.total)::bigint,
         round(exp((min(c.bucket) filter (where c.below >= 0.50 * c.total) + 0.5) * ln(1.1)), 1)::float8,
         round(exp((min(c.bucket) filter (where c.below >= 0.95 * c.total) + 0.5) * ln(1.1)), 1)::float8
    from c
   group by c.provider, c.model
$$;

comment on function monitoring_private.latency_percentiles(timestamptz, timestamptz, boolean) is
  'Approximate latency p50/p95 per provider and model (and per provider) from the latency histograms, within 4.9 %.';
revoke all on function monitoring_private.latency_percentiles(timestamptz, timestamptz, boolean) from public;
