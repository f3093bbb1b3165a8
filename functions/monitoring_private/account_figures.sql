-- account_figures: the generations, credits charged and refunded and provider cost of the tasks
-- each account paid for, started in its own range [p_from[i], p_to[i]), from the raw rows, per
-- account (none for an account without such tasks). One index range of (user_id, created_at) per account and member: the tasks of a team
-- (contract §12) carry the member's user_id and the team's account_id, so a team is read
-- through its members, past ones included. top_users reads the few accounts it cannot take from
-- the rollups this way, never a whole day of tasks.
create or replace function monitoring_private.account_figures(p_accounts uuid[], p_from timestamptz[], p_to timestamptz[])
returns table (account_id uuid, generations bigint, credits_charged bigint, credits_refunded bigint, cost_usd numeric)
language sql
stable
set search_path to pg_catalog, pg_temp
set jit to off
as $$
  select a.account_id, count(t.id)::bigint, coalesce(sum(t.charged), 0)::bigint, coalesce(sum(t.refunded), 0)::bigint,
         coalesce(sum(t.provider_cost_usd), 0)
    from unnest(p_accounts, p_from, p_to) a (account_id, lo, hi)
    join lateral (
      select t.id, t.charged, t.refunded, t.provider_cost_usd
        from credits_private.task_credits t
       where t.user_id = any(array[a.account_id] || array(select m.user_id from credits_private.team_members m
                                                          where m.team_id = a.account_id))
         and t.created_at >= a.lo and t.created_at < a.hi
         and t.account_id = a.account_id
    ) t on true
   group by a.account_id
$$;

comment on function monitoring_private.account_figures(uuid[], timestamptz[], timestamptz[]) is
  'Generations, credits charged and refunded and cost of the tasks some accounts paid for, each in its own range, from the raw rows.';
revoke all on function monitoring_private.account_figures(uuid[], timestamptz[], timestamptz[]) from public;
