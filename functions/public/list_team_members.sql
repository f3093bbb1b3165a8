-- list_team_members: a team's members (contract §12), for the service and the CLI's `credits
-- team list`: each with their daily cap, what they spent of the team's today (UTC) and in the
-- current month (what the generations they started this month finally cost: charges less their
-- refunds and settlements, never negative), their generations in flight, and when they were
-- added (and removed, with p_include_removed).
-- Result: user_id, daily_credit_limit (null: none), spent_today, spent_this_month, in_flight,
-- added_at, removed_at (null: a member now); members first, by user_id.
-- Errors: CR002 no account p_team_id, CR003 invalid argument (a null id, a personal account).
-- Never null: user_id, spent_today, spent_this_month, in_flight, added_at.
-- SECURITY DEFINER: the service role calls it without any privilege on the tables.
create or replace function public.list_team_members(p_team_id uuid, p_include_removed boolean default false)
returns table (
  user_id uuid,
  daily_credit_limit integer,
  spent_today bigint,
  spent_this_month bigint,
  in_flight bigint,
  added_at timestamptz,
  removed_at timestamptz
)
language plpgsql
stable
security definer
set search_path to pg_catalog, pg_temp
as $$
#variable_conflict use_column
begin
  perform credits_private.require_team(p_team_id);
  return query
    -- this month: what the member's generations started this month finally cost (their charges
    -- less their refunds and settlements, whenever those came: never negative); in flight: their
    -- generations in flight the team pays for, since the sweeper's low-water mark
    with month as (
      select c.member_id, sum(-c.amount - coalesce(r.amount, 0))::bigint as spent
        from public.credit_transactions c
        left join public.credit_transactions r on r.task_id = c.task_id and r.type = 'refund'
       where c.user_id = p_team_id and c.type = 'usage' and c.member_id is not null
         and c.created_at >= credits_private.current_period()::timestamp at time zone 'UTC'
       group by c.member_id
    ), flight as (
      select c.member_id, count(*) as in_flight
        from public.credit_transactions c
        join public.enhancement_tasks t on t.id = c.task_id
       where c.user_id = p_team_id and c.type = 'usage' and c.member_id is not null
         and c.created_at >= (select s.since from credits_private.sweeper_state s where s.name = 'sweeper')
         and t.status in ('pending', 'processing')
       group by c.member_id
    )
    select m.user_id, m.daily_credit_limit,
           case when m.spent_today_until > now() then m.spent_today else 0 end,
           coalesce(month.spent, 0), coalesce(flight.in_flight, 0), m.added_at, m.removed_at
      from credits_private.team_members m
      left join month on month.member_id = m.user_id
      left join flight on flight.member_id = m.user_id
     where m.team_id = p_team_id and (m.removed_at is null or coalesce(p_include_removed, false))
     order by m.removed_at is not null, m.user_id;
end;
$$;

comment on function public.list_team_members(uuid, boolean) is
  'A team''s members with their cap, spend today and this month, and generations in flight.';
revoke all on function public.list_team_members(uuid, boolean) from public, anon, authenticated;
grant execute on function public.list_team_members(uuid, boolean) to credits_service;
