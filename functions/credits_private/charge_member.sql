-- charge_member: a team member's share of start_generation's charge of the team (contract §12):
-- the member's spend today (UTC) goes up by p_credits, within their own cap. Runs after the team's
-- account row is locked (a refund locks the account, then the member: the same order).
-- Errors: CR008 the user is not a member of the team (never was, was removed, or p_team_id is no
-- team); CR007 with DETAIL {"limit": "member_daily_credits", …} past the member's cap.
create or replace function credits_private.charge_member(p_team_id uuid, p_user_id uuid, p_credits integer, p_task_id uuid)
returns void
language plpgsql
volatile
set search_path to pg_catalog, pg_temp
as $$
declare
  m credits_private.team_members;
  v_spent bigint;
begin
  -- the count of this charge's UTC day (the day of its transaction's start), or of an earlier one,
  -- which this charge starts afresh
  update credits_private.team_members tm
     set spent_today = case when tm.spent_today_until > now() then tm.spent_today + p_credits else p_credits end,
         spent_today_until = date_bin('1 day', now(), timestamptz '2000-01-01 00:00+00') + interval '24 hours'
   where tm.team_id = p_team_id and tm.user_id = p_user_id and tm.removed_at is null
     and tm.spent_today_until <= date_bin('1 day', now(), timestamptz '2000-01-01 00:00+00') + interval '24 hours'
     and (tm.daily_credit_limit is null
          or case when tm.spent_today_until > now() then tm.spent_today else 0 end + p_credits <= tm.daily_credit_limit);
  if found then
    return;
  end if;
  select tm.* into m from credits_private.team_members tm
   where tm.team_id = p_team_id and tm.user_id = p_user_id and tm.removed_at is null;
  if not found then
    raise exception using errcode = 'CR008',
      message = 'not a member of the team',
      detail = json_build_object('account_id', p_team_id, 'user_id', p_user_id)::text,
      hint = 'Add the user to the team first (add_team_member), or charge their own account.';
  end if;
  if m.spent_today_until > date_bin('1 day', now(), timestamptz '2000-01-01 00:00+00') + interval '24 hours' then
    -- a charge whose transaction began the day before the count's (it waited for the lock past
    -- midnight): its own day's spend, from the ledger; the later day's count stays as it is
    v_spent := credits_private.spent_today_of(p_team_id, p_user_id, p_task_id);
    if m.daily_credit_limit is null or v_spent + p_credits <= m.daily_credit_limit then
      return;
    end if;
  else
    v_spent := case when m.spent_today_until > now() then m.spent_today else 0 end;
  end if;
  perform credits_private.raise_limit_reached('member_daily_credits', m.daily_credit_limit, v_spent, p_credits, p_team_id, p_user_id);
end;
$$;

comment on function credits_private.charge_member(uuid, uuid, integer, uuid) is
  'Counts a team member''s charge against their daily cap; CR008 for a non-member, CR007 past the cap.';
revoke all on function credits_private.charge_member(uuid, uuid, integer, uuid) from public;
