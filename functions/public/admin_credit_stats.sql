-- admin_credit_stats: the admin dashboard's one document for the generations started in
-- [p_from, p_to): totals, success rate, per-provider (and per-model) figures and costs,
-- failures, refunds, top users and today's platform health; `daily`, one entry per UTC day of the
-- range (the trends of the dashboard), exact as the totals are. Money is given as decimal strings
-- (exact), counts and rates as numbers. Exact to the call: the rollups (daily, hourly) serve what
-- no change since their last refresh touched, the raw rows the rest (monitoring_private.
-- rollup_parts; top_users reads changed and partial days one account at a time). top_users ranks the range's users by
-- credits charged, top_users_by_cost by provider cost, top_users_by_generations by generations
-- (10 each). totals.cost_per_generation and cost_per_success are over priced generations and
-- completions only, as in monitoring.summary: cost / (priced completions + failures) and cost /
-- priced completions (a generation in flight has no cost yet). optimization_hints:
-- monitoring.optimization_hints (the last 30 days). providers[] and their models[] carry latency
-- p50/p95 in ms, approximate (the latency histograms, within 4.9 %; null when nothing finished).
-- p_as_of_refresh (the dashboard page's reads): the range must be whole UTC days, and every
-- figure, today's and health's included, comes from the rollups as they were at the last
-- refresh (data_through; run every minute), none from the raw rows: the read costs the same
-- whatever the daily volume. Stuck tasks are counted live either way.
-- unmatched_provider_results: completed results the provider reported in the range for jobs no
-- task recorded (a lost submission answer; monitoring.unmatched_provider_results), with their cost.
-- totals.failed_cost_usd is the spend on generations that failed (a cost passed with the failure,
-- or the provider generated it after all): spend without revenue, part of provider_cost_usd.
-- Completions without a known provider cost are counted (providers[].unpriced, per model, and
-- the key pricing), never taken as $0: cost per success is over priced completions only.
-- Holds (contract §11): credits_charged is what the starts held; credits_refunded, refunds and
-- the refund rate count failures only; credits_settled is what settlements gave back (a hold
-- larger than what the generation used) and credits_used what the generations finally cost
-- (charged - refunded - settled), in totals, daily and each model (with cost_per_credit_used,
-- the USD paid upstream per credit used: the margin).
-- Errors: CR003 when a bound is null, infinite or outside the years 1970–9999, p_from is not
-- before p_to, the range exceeds 3 years, or p_as_of_refresh is given a bound that is not a UTC
-- midnight.
-- Never null: the result.
-- Document type: AdminCreditStats.
-- SECURITY DEFINER: the service and analyst roles read it without access to the raw tables.
create or replace function public.admin_credit_stats(
  p_from timestamptz default now() - interval '30 days',
  p_to timestamptz default now(),
  p_as_of_refresh boolean default false
)
returns jsonb
language plpgsql
stable
security definer
set search_path to pg_catalog, pg_temp
-- Timestamps in the document are written in UTC (2026-11-29T22:50:25.123+00:00), as the typed
-- client returns them, whatever the caller's TimeZone.
set timezone to 'UTC'
-- JIT compiles for tens of ms to save less on these short scans
set jit to off
as $$
declare
  v_document jsonb;
begin
  -- Checked in this order so that no bound reaches an arithmetic that overflows (22008):
  -- infinite and absurd bounds (outside 1970–9999) are refused before the range's width.
  if p_from is null or p_to is null or not (p_from >= '1970-01-01 00:00+00' and p_to <= '10000-01-01 00:00+00') then
    raise exception using errcode = 'CR003',
      message = 'p_from and p_to must be timestamps between 1970 and 9999',
      detail = format('p_from was %s, p_to %s.', coalesce(p_from::text, 'null'), coalesce(p_to::text, 'null')),
      hint = 'Pass a range such as now() - interval ''30 days'' and now().';
  end if;
  if p_from >= p_to or p_to - p_from > interval '3 years' then
    raise exception using errcode = 'CR003',
      message = 'p_from must be before p_to, at most 3 years apart',
      detail = format('p_from was %s, p_to %s.', p_from, p_to),
      hint = 'Pass a range such as now() - interval ''30 days'' and now().';
  end if;
  if p_as_of_refresh and (p_from <> date_trunc('day', p_from) or p_to <> date_trunc('day', p_to)) then
    raise exception using errcode = 'CR003',
      message = 'as of the last refresh, p_from and p_to must be UTC midnights (whole days)',
      detail = format('p_from was %s, p_to %s.', p_from, p_to),
      hint = 'Pass the first day and the day after the last, e.g. current_date - 6 and current_date + 1.';
  end if;

  with s as (select * from monitoring_private.task_stats(p_from, p_to, p_as_of_refresh)),
  f as (select * from monitoring_private.failure_stats(p_from, p_to, p_as_of_refresh)),
  l as (select * from monitoring_private.latency_percentiles(p_from, p_to, p_as_of_refresh)),
  tu as (select * from monitoring_private.top_users(p_from, p_to, p_as_of_refresh)),
  providers as (
    select s.provider, sum(s.generations) as generations, sum(s.completed) as succeeded, sum(s.failed) as failed,
           monitoring.success_rate(sum(s.completed), sum(s.failed)) as success_rate,
           round(sum(s.cost_usd), 6)::text as provider_cost_usd,
           round(sum(s.cost_usd) / nullif(sum(s.completed - s.unpriced), 0), 6)::text as cost_per_success,
           sum(s.unpriced) as unpriced,
           round(sum(s.completed - s.unpriced)::numeric / nullif(sum(s.completed), 0), 4) as cost_coverage,
           (select l.p50_ms from l where l.provider = s.provider and l.model is null) as latency_p50_ms,
           (select l.p95_ms from l where l.provider = s.provider and l.model is null) as latency_p95_ms
      from s group by s.provider
  ), models as (
    select s.provider, jsonb_agg(jsonb_build_object(
             'model', s.model, 'generations', s.generations, 'succeeded', s.completed, 'failed', s.failed,
             'provider_cost_usd', round(s.cost_usd, 6)::text, 'unpriced', s.unpriced,
             'success_rate', monitoring.success_rate(s.completed, s.failed),
             'cost_per_success', round(s.cost_usd / nullif(s.completed - s.unpriced, 0), 6)::text,
             'latency_p50_ms', l.p50_ms, 'latency_p95_ms', l.p95_ms,
             'credits_charged', s.credits_charged, 'credits_used', s.credits_used,
             'cost_per_credit_used', round(s.cost_usd / nullif(s.credits_used, 0), 6)::text) order by s.generations desc, s.model) as models
      from (select s.provider, s.model, sum(s.generations) generations, sum(s.completed) completed,
                   sum(s.failed) failed, sum(s.cost_usd) cost_usd, sum(s.unpriced) unpriced,
                   sum(s.credits_charged) credits_charged,
                   sum(s.credits_charged - s.credits_refunded - s.credits_settled) credits_used from s group by 1, 2) s
      left join l on l.provider = s.provider and l.model = s.model
     group by s.provider
  ), top_errors as (
    select f.provider, f.failure_source, f.error, sum(f.failures) as failures
      from f group by 1, 2, 3 order by 4 desc, 1, 3 limit 10
  ), top_users as (
    select t.ranking, jsonb_agg(jsonb_build_object('user_id', t.user_id, 'generations', t.generations,
             'credits_charged', t.credits_charged, 'credits_refunded', t.credits_refunded,
             'provider_cost_usd', round(t.cost_usd, 6)::text,
             -- a team (contract §12): its members now; null for a user's own account
             'members', (select count(*) filter (where m.removed_at is null) from credits_private.teams tm
                           left join credits_private.team_members m on m.team_id = tm.team_id
                          where tm.team_id = t.user_id group by tm.team_id),
             -- what the account owes now (contract §13: credits revoked beyond what it held)
             'debt_credits', coalesce((select d.debt_credits from credits_private.account_debts d
                                        where d.user_id = t.user_id), 0)) order by t.rank) as users
      from tu t group by t.ranking
  )
  select jsonb_build_object(
    'period', jsonb_build_object('from', p_from, 'to', p_to, 'as_of_refresh', p_as_of_refresh),
    'totals', (select jsonb_build_object(
                 'generations', coalesce(sum(s.generations), 0), 'succeeded', coalesce(sum(s.completed), 0),
                 'failed', coalesce(sum(s.failed), 0), 'in_flight', coalesce(sum(s.in_flight), 0),
                 'credits_charged', coalesce(sum(s.credits_charged), 0),
                 'credits_refunded', coalesce(sum(s.credits_refunded), 0),
                 'credits_settled', coalesce(sum(s.credits_settled), 0),
                 'credits_used', coalesce(sum(s.credits_charged - s.credits_refunded - s.credits_settled), 0),
                 'provider_cost_usd', round(coalesce(sum(s.cost_usd), 0), 6)::text,
                 'failed_cost_usd', round(coalesce(sum(s.failed_cost_usd), 0), 6)::text,
                 'cost_per_generation', round(sum(s.cost_usd) / nullif(sum(s.completed - s.unpriced + s.failed), 0), 6)::text,
                 'cost_per_success', round(sum(s.cost_usd) / nullif(sum(s.completed - s.unpriced), 0), 6)::text) from s),
    'success_rate', (select monitoring.success_rate(sum(s.completed), sum(s.failed)) from s),
    -- One entry per UTC day the range touches (a day without generations has zeros, and null rates).
    'daily', (select coalesce(jsonb_agg(jsonb_build_object(
                'day', d.day, 'generations', coalesce(x.generations, 0), 'succeeded', coalesce(x.completed, 0),
                'failed', coalesce(x.failed, 0), 'credits_charged', coalesce(x.credits_charged, 0),
                'credits_refunded', coalesce(x.credits_refunded, 0),
                'credits_settled', coalesce(x.credits_settled, 0),
                'credits_used', coalesce(x.credits_charged - x.credits_refunded - x.credits_settled, 0),
                'provider_cost_usd', round(coalesce(x.cost_usd, 0), 6)::text,
                'failed_cost_usd', round(coalesce(x.failed_cost_usd, 0), 6)::text,
                'success_rate', monitoring.success_rate(x.completed, x.failed),
                'refund_rate', monitoring.refund_rate(x.credits_refunded, x.credits_charged)) order by d.day), '[]')
                from (select g::date as day
                        from generate_series((p_from at time zone 'UTC')::date, ((p_to - interval '1 microsecond') at time zone 'UTC')::date, interval '1 day') g) d
                left join (select s.day, sum(s.generations) generations, sum(s.completed) completed, sum(s.failed) failed,
                                  sum(s.credits_charged) credits_charged, sum(s.credits_refunded) credits_refunded,
                                  sum(s.credits_settled) credits_settled, sum(s.cost_usd) cost_usd, sum(s.failed_cost_usd) failed_cost_usd
                             from s group by s.day) x on x.day = d.day),
    'providers', (select coalesce(jsonb_agg(to_jsonb(p) || jsonb_build_object('models', m.models) order by p.provider), '[]')
                    from providers p join models m using (provider)),
    'failures', jsonb_build_object(
                  'total', (select coalesce(sum(f.failures), 0) from f),
                  'by_source', (select coalesce(jsonb_object_agg(x.failure_source, x.n), '{}')
                                  from (select f.failure_source, sum(f.failures) n from f group by 1) x),
                  'top_errors', (select coalesce(jsonb_agg(e order by e.failures desc, e.provider, e.error), '[]') from top_errors e)),
    'refunds', (select jsonb_build_object(
                  'tasks', coalesce(sum(s.refunded_tasks), 0), 'credits', coalesce(sum(s.credits_refunded), 0),
                  'rate', monitoring.refund_rate(sum(s.credits_refunded), sum(s.credits_charged))) from s),
    'pricing', (select jsonb_build_object(
                  'complete', coalesce(sum(s.unpriced), 0) = 0,
                  'unpriced', coalesce(sum(s.unpriced), 0),
                  'coverage', round(sum(s.completed - s.unpriced)::numeric / nullif(sum(s.completed), 0), 4),
                  'unpriced_models', (select coalesce(jsonb_agg(u order by u.unpriced desc, u.provider, u.model), '[]')
                                        from (select s2.provider, s2.model, sum(s2.unpriced) as unpriced
                                                from s s2 group by 1, 2 having sum(s2.unpriced) > 0) u)) from s),
    'top_users', coalesce((select t.users from top_users t where t.ranking = 'credits'), '[]'),
    'top_users_by_cost', coalesce((select t.users from top_users t where t.ranking = 'cost'), '[]'),
    'top_users_by_generations', coalesce((select t.users from top_users t where t.ranking = 'generations'), '[]'),
    'health', (select to_jsonb(h) || jsonb_build_object('cost_usd', h.cost_usd::text) from monitoring.todays_health(p_as_of_refresh) h),
    'unmatched_provider_results', (select jsonb_build_object('count', count(*), 'cost_usd', round(coalesce(sum(u.cost_usd), 0), 6)::text)
                                     from monitoring.unmatched_provider_results u
                                    where u.status = 'completed' and u.received_at >= p_from and u.received_at < p_to),
    'optimization_hints', (select coalesce(jsonb_agg(jsonb_build_object('provider', o.provider, 'model', o.model,
                                     'generations', o.generations, 'hint', o.hint) order by o.provider, o.model), '[]')
                             from monitoring.optimization_hints o),
    'data_through', (select r.refreshed_at from monitoring.rollup_state r where r.name = 'rollups')
  ) into v_document;
  return v_document;
end;
$$;

comment on function public.admin_credit_stats(timestamptz, timestamptz, boolean) is
  'One JSON document for the admin dashboard: totals, success rate, providers, failures, refunds, top users, health.';
revoke all on function public.admin_credit_stats(timestamptz, timestamptz, boolean) from public, anon, authenticated;
grant execute on function public.admin_credit_stats(timestamptz, timestamptz, boolean) to credits_service, credits_analyst;
