-- Up Migration
-- Latency percentiles from mergeable histograms (issue 13): a rollup of how many tasks finished
-- within each log-scale latency bucket, per UTC day (by when the task started), provider and
-- model. Bucket b holds latencies in [1.1^b, 1.1^(b+1)) milliseconds (b = floor(ln(ms) / ln 1.1),
-- latencies under 1 ms in bucket 0); a percentile is read as the bucket's geometric middle,
-- 1.1^(b + 0.5): within sqrt(1.1) - 1 = 4.9 % of any latency in the bucket. Merging days or
-- models is adding counts, so a week's p95 reads a few hundred small rows, not the week's tasks.
-- Latency is submitted → finished, for tasks that were submitted (as task_rollup_daily's sum).
-- Derived data: filled here from the raw rows, kept by monitoring.refresh_rollups() from then on
-- (credits_private.latency_rollup_source defines it).

create table monitoring.latency_rollup_daily (
  day date not null,
  provider text not null,
  model text not null,
  bucket smallint not null,
  tasks integer not null,
  constraint latency_rollup_daily_pkey primary key (day, provider, model, bucket)
);
comment on table monitoring.latency_rollup_daily is
  'Finished tasks per day, provider, model and log-scale latency bucket (1.1^bucket ms): mergeable percentiles.';
revoke all on monitoring.latency_rollup_daily from public;
grant select on monitoring.latency_rollup_daily to credits_analyst;

insert into monitoring.latency_rollup_daily (day, provider, model, bucket, tasks)
select (t.created_at at time zone 'UTC')::date, t.provider, coalesce(t.model, '(unknown)'),
       floor(ln(greatest(extract(epoch from t.completed_at - t.submitted_at) * 1000, 1)) / ln(1.1))::smallint,
       count(*)::integer
  from public.enhancement_tasks t
 where t.submitted_at is not null and t.completed_at is not null
 group by 1, 2, 3, 4;

-- Down Migration
-- Derived counts only (the next up recomputes them): nothing is lost.
drop table monitoring.latency_rollup_daily;
