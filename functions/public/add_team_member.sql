-- add_team_member: lets a user spend a team's credits (contract §12), with their own daily cap:
-- p_daily_credit_limit credits per UTC day of the team's (charges less their refunds and
-- settlements; null or 0: no cap beyond the team's own limits). Idempotent: a member added again
-- keeps their membership and gets the new cap; a removed member comes back (their spend today
-- still counts against the cap). A member needs no account of their own. At once: the next start
-- sees it.
-- Result: added (true when the user was not a member), daily_credit_limit (the cap now, null:
-- none), spent_today (what the member spent of the team's today, UTC).
-- Errors: CR002 no account p_team_id, CR003 invalid argument (a null id, p_team_id a personal
-- account, p_user_id a team, p_daily_credit_limit outside 0..100,000,000).
-- Null arguments: p_daily_credit_limit.
-- Never null: added, spent_today.
-- SECURITY DEFINER: the service role calls it without any privilege on the tables.
create or replace function public.add_team_member(
  p_team_id uuid,
  p_user_id uuid,
  p_daily_credit_limit integer default null,
  out added boolean,
  out daily_credit_limit integer,
  out spent_today bigint
)
language plpgsql
volatile
security definer
set search_path to pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_was_member boolean;
begin
  perform credits_private.require_team(p_team_id);
  perform credits_private.require_present('p_user_id', p_user_id);
  -- an id becomes a team or a member one call at a time (ensure_team_account takes the same lock)
  perform pg_advisory_xact_lock(hashtextextended('credits.team_or_member:' || p_user_id::text, 0));
  perform credits_private.require_not_team('p_user_id', p_user_id);
  perform credits_private.require_between('p_daily_credit_limit', p_daily_credit_limit, 0, 100000000, true,
                                          'A positive cap, or null (or 0) for none.');

  select m.removed_at is null into v_was_member
    from credits_private.team_members m where m.team_id = p_team_id and m.user_id = p_user_id for update;
  insert into credits_private.team_members as m (team_id, user_id, daily_credit_limit)
  values (p_team_id, p_user_id, nullif(p_daily_credit_limit, 0))
  on conflict (team_id, user_id) do update
     set daily_credit_limit = excluded.daily_credit_limit,
         added_at = case when m.removed_at is null then m.added_at else now() end,
         removed_at = null,
         updated_at = now()
  returning m.daily_credit_limit,
            case when m.spent_today_until > now() then m.spent_today else 0 end
       into daily_credit_limit, spent_today;
  added := not coalesce(v_was_member, false);
end;
$$;

comment on function public.add_team_member(uuid, uuid, integer) is
  'Lets a user spend a team''s credits, with an optional daily cap; idempotent (updates the cap).';
revoke all on function public.add_team_member(uuid, uuid, integer) from public, anon, authenticated;
grant execute on function public.add_team_member(uuid, uuid, integer) to credits_service;
