-- user_rollup_source: the definition of monitoring.user_rollup_monthly for the tasks started in
-- [p_from, p_to) (callers pass month boundaries).
create or replace function credits_private.user_rollup_source(p_from timestamptz, p_to timestamptz)
returns table (
  month date, user_id uuid, generations integer, completed integer, failed integer,
  credits_charged bigint, credits_refunded bigint, cost_usd numeric
)
language sql
stable
set search_path to pg_catalog, pg_temp
as $$
  select date_trunc('month', t.created_at at time zone 'UTC')::date, t.user_id,
         count(*)::integer,
         count(*) filter (where t.status = 'completed')::integer,
         count(*) filter (where t.status = 'failed')::integer,
         coalesce(sum(l.charged), 0)::bigint,
         coalesce(sum(l.refunded), 0)::bigint,
         coalesce(sum(t.provider_cost_usd), 0)
    from public.enhancement_tasks t
    left join lateral (
      select sum(-c.amount) filter (where c.type = 'usage') as charged,
             sum(c.amount) filter (where c.type = 'refund') as refunded
        from public.credit_transactions c
       where c.task_id = t.id and c.type in ('usage', 'refund')
    ) l on true
   where t.created_at >= p_from and t.created_at < p_to
   group by 1, 2
$$;

comment on function credits_private.user_rollup_source(timestamptz, timestamptz) is
  'Raw-row definition of monitoring.user_rollup_monthly for tasks started in [p_from, p_to).';
revoke all on function credits_private.user_rollup_source(timestamptz, timestamptz) from public;
