-- ensure_team_account: creates a team's account when it is missing (contract §12): an account
-- with its own id and no end user, created as ensure_credit_account creates one (p_tier's
-- allowance for the current period as monthly credits, one 'allocation' row, the tier's limits).
-- Its members (add_team_member) spend it through start_generation's p_account_id; everything
-- else an account has (grants, purchases, plan changes, limits, statements) a team has too, by
-- its id. An existing team is returned unchanged (starting the current month first if its own is
-- earlier): idempotent.
-- Result: created, then the columns of public.credit_balance (get_credit_balance's result).
-- Errors: CR003 invalid argument, unknown tier, or an id that is a personal account's or a
-- current member's of a team.
-- Never null: created, total_credits, monthly_credits, purchased_credits, tier, monthly_allowance, used_this_month, promotional_credits, in_flight, spent_today, debt_credits.
-- SECURITY DEFINER: the service role calls it without any privilege on the tables.
create or replace function public.ensure_team_account(
  p_team_id uuid,
  p_tier text default 'free',
  out created boolean,
  out total_credits bigint,
  out monthly_credits bigint,
  out purchased_credits bigint,
  out tier text,
  out monthly_allowance integer,
  out used_this_month bigint,
  out period_start date,
  out period_end date,
  out pending_tier text,
  out low_balance_threshold integer,
  out promotional_credits bigint,
  out promotional_expires_at timestamptz,
  out max_in_flight integer,
  out daily_credit_limit integer,
  out in_flight bigint,
  out spent_today bigint,
  out debt_credits bigint
)
language plpgsql
volatile
security definer
set search_path to pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_tier public.credit_tiers;
begin
  perform credits_private.require_present('p_team_id', p_team_id);
  perform credits_private.require_text('p_tier', p_tier, 64);
  select t.* into v_tier from credits_private.tier_of(p_tier) t;
  -- an id becomes a team or a member one call at a time (add_team_member takes the same lock)
  perform pg_advisory_xact_lock(hashtextextended('credits.team_or_member:' || p_team_id::text, 0));
  if exists (select 1 from credits_private.team_members m where m.user_id = p_team_id and m.removed_at is null) then
    raise exception using errcode = 'CR003',
      message = 'p_team_id is a member of a team, not a team',
      detail = format('p_team_id was %s, a user who spends the credits of team %s.', p_team_id,
                      (select m.team_id from credits_private.team_members m where m.user_id = p_team_id and m.removed_at is null limit 1)),
      hint = 'A team''s id is its own: generate a new one for the team.';
  end if;

  -- The account and its listing as a team in one transaction: a concurrent call waits at the
  -- account's key and then finds both.
  created := credits_private.open_account(p_team_id, v_tier);
  if created then
    insert into credits_private.teams (team_id) values (p_team_id);
  elsif not exists (select 1 from credits_private.teams tm where tm.team_id = p_team_id) then
    raise exception using errcode = 'CR003',
      message = 'p_team_id is a personal account, not a team',
      detail = format('p_team_id was %s, the id of a user''s own account.', p_team_id),
      hint = 'A team''s id is its own: generate a new one for the team.';
  end if;

  select b.* into total_credits, monthly_credits, purchased_credits, tier, monthly_allowance,
                  used_this_month, period_start, period_end, pending_tier, low_balance_threshold,
                  promotional_credits, promotional_expires_at, max_in_flight, daily_credit_limit, in_flight, spent_today, debt_credits
    from credits_private.balance_of(p_team_id) b;
end;
$$;

comment on function public.ensure_team_account(uuid, text) is
  'Creates a team''s credit account (no end user; its members spend it) if it does not exist; idempotent.';
revoke all on function public.ensure_team_account(uuid, text) from public, anon, authenticated;
grant execute on function public.ensure_team_account(uuid, text) to credits_service;
