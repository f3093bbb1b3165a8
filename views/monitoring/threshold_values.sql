-- threshold_values: monitoring.thresholds as one row, a column per threshold (their one pivot):
-- what summary, optimization_hints and platform_health (monitoring.todays_health) compare against.
-- A threshold missing from the table reads as its documented default.
-- Never null: success_rate_min, refund_rate_max, failures_per_day_max, stuck_tasks_max, stuck_after_minutes, rollups_stale_after_minutes, hint_factor, hint_min_generations.
create or replace view monitoring.threshold_values as
select coalesce(max(value) filter (where name = 'success_rate_min'), 0.95) as success_rate_min,
       coalesce(max(value) filter (where name = 'refund_rate_max'), 0.05) as refund_rate_max,
       coalesce(max(value) filter (where name = 'failures_per_day_max'), 500) as failures_per_day_max,
       coalesce(max(value) filter (where name = 'stuck_tasks_max'), 0) as stuck_tasks_max,
       coalesce(max(value) filter (where name = 'stuck_after_minutes'), 30) as stuck_after_minutes,
       coalesce(max(value) filter (where name = 'rollups_stale_after_minutes'), 10) as rollups_stale_after_minutes,
       coalesce(max(value) filter (where name = 'hint_factor'), 1.5) as hint_factor,
       coalesce(max(value) filter (where name = 'hint_min_generations'), 20) as hint_min_generations
  from monitoring.thresholds;

comment on view monitoring.threshold_values is 'The alert thresholds as one row, a column each (defaults where a row is missing).';
revoke all on monitoring.threshold_values from public;
grant select on monitoring.threshold_values to credits_analyst;
