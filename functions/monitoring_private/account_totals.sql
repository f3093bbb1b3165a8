-- account_totals: top_users' exact totals of some accounts (p_accounts, each once) for the tasks started in
-- [p_from, p_to), given how top_users split the range: whole days [p_first, p_end) from the
-- window (p_days ending p_through, when one fits) and the daily rollups, except the (account,
-- day) pairs changed since the last refresh (p_dirty_accounts[i], p_dirty_days[i]), read from the
-- raw rows; the partial days at the edges (p_partial) from the raw rows. Changed pairs are read
-- one account at a time (account_figures), and so are the partial days when p_probe (the caller
-- weighs the accounts' tasks against the day's); else each partial day is one scan.
create or replace function monitoring_private.account_totals(
  p_accounts uuid[], p_from timestamptz, p_to timestamptz, p_first date, p_end date, p_days smallint, p_through date,
  p_partial date[], p_dirty_accounts uuid[], p_dirty_days date[], p_probe boolean
)
returns table (user_id uuid, generations bigint, credits_charged bigint, credits_refunded bigint, cost_usd numeric)
language plpgsql
stable
set search_path to pg_catalog, pg_temp
set jit to off
-- planned with the arrays' sizes known: a few accounts probed by index, thousands hashed
set plan_cache_mode to force_custom_plan
as $$
#variable_conflict use_column
begin
  return query
  -- joins, not = any(p_accounts): an array of thousands is searched element by element per row
  with accounts as (
    select a.account_id from unnest(p_accounts) a (account_id)
  ), dirty as (
    select d.account_id, d.day from unnest(p_dirty_accounts, p_dirty_days) d (account_id, day)
     where d.day >= p_first and d.day < p_end and d.account_id in (select a.account_id from accounts a)
  ), dirty_ranges as (
    -- the changed pairs of whole days: what the raw rows give
    select d.account_id, greatest(p_from, d.day::timestamp at time zone 'UTC') as lo,
           least(p_to, (d.day + 1)::timestamp at time zone 'UTC') as hi
      from dirty d
  ), partial_ranges as (
    select greatest(p_from, p.day::timestamp at time zone 'UTC') as lo, least(p_to, (p.day + 1)::timestamp at time zone 'UTC') as hi
      from unnest(p_partial) p (day)
  ), probes as (
    -- one account at a time: every changed pair, and the partial days of a few accounts
    select d.account_id, d.lo, d.hi from dirty_ranges d
    union all
    select a.account_id, r.lo, r.hi from accounts a, partial_ranges r where p_probe
  ), parts as (
    select w.user_id, w.generations::bigint as generations, w.credits_charged, w.credits_refunded, w.cost_usd
      from accounts a join monitoring.user_rollup_window w on w.days = p_days and w.user_id = a.account_id
    union all
    -- the window's rows of changed pairs, taken back out
    select r.user_id, -r.generations, -r.credits_charged, -r.credits_refunded, -r.cost_usd
      from dirty d join monitoring.user_rollup_daily r on r.user_id = d.account_id and r.day = d.day
     where p_days is not null and d.day > p_through - p_days and d.day <= p_through
    union all
    -- the whole days outside the window (before it, after it), clean pairs only; not a probe per
    -- account when there are none (the first condition, on the arguments alone, is checked once)
    select r.user_id, r.generations, r.credits_charged, r.credits_refunded, r.cost_usd
      from monitoring.user_rollup_daily r join accounts a on a.account_id = r.user_id
     where (p_first < least(p_end, p_through - p_days + 1) or greatest(p_first, p_through + 1) < p_end)
       and (r.day >= p_first and r.day < least(p_end, p_through - p_days + 1)
            or r.day >= greatest(p_first, p_through + 1) and r.day < p_end)
       and not exists (select 1 from dirty d where d.account_id = r.user_id and d.day = r.day)
    union all
    select x.account_id, x.generations, x.credits_charged, x.credits_refunded, x.cost_usd
      from monitoring_private.account_figures(array(select r.account_id from probes r), array(select r.lo from probes r),
                                              array(select r.hi from probes r)) x
    union all
    -- the partial days of many accounts: one scan each
    select s.user_id, s.generations, s.credits_charged, s.credits_refunded, s.cost_usd
      from partial_ranges r
     cross join lateral monitoring_private.user_day_rollup_source(r.lo, r.hi) s
     where not p_probe and s.user_id in (select a.account_id from accounts a)
  )
  select p.user_id, sum(p.generations)::bigint, sum(p.credits_charged)::bigint, sum(p.credits_refunded)::bigint, sum(p.cost_usd)
    from parts p
   group by p.user_id;
end;
$$;

comment on function monitoring_private.account_totals(uuid[], timestamptz, timestamptz, date, date, smallint, date, date[], uuid[], date[], boolean) is
  'top_users'' exact totals of some accounts for a range: the window and daily rollups, the raw rows of changed pairs and partial days.';
revoke all on function monitoring_private.account_totals(uuid[], timestamptz, timestamptz, date, date, smallint, date, date[], uuid[], date[], boolean) from public;
