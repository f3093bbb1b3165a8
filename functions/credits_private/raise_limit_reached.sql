-- raise_limit_reached: the one refusal of a start past a limit (CR007, contract §12), for
-- credits_private.enforce_limits and credits_private.charge_member. DETAIL is a JSON object
-- (docs/error-codes.md): which limit ('in_flight', 'daily_credits' or 'member_daily_credits'),
-- what it allows, where the account (or the member) stands, what the start asked for, the account
-- that pays and the user who generates; the typed client raises LimitReachedError with them.
-- Errors: CR007, always.
create or replace function credits_private.raise_limit_reached(
  p_limit text,
  p_allowed bigint,
  p_current bigint,
  p_requested bigint,
  p_account_id uuid,
  p_user_id uuid
)
returns void
language plpgsql
immutable
set search_path to pg_catalog, pg_temp
as $$
begin
  raise exception using errcode = 'CR007',
    message = case p_limit
                when 'in_flight' then format('limit reached: %s generations in flight, at most %s allowed', p_current, p_allowed)
                when 'daily_credits' then format('limit reached: %s credits spent today (UTC), %s more would pass the daily limit of %s',
                                                 p_current, p_requested, p_allowed)
                else format('limit reached: the member spent %s credits of the team''s today (UTC), %s more would pass their cap of %s',
                            p_current, p_requested, p_allowed) end,
    detail = json_build_object('limit', p_limit, 'allowed', p_allowed, 'current', p_current, 'requested', p_requested,
                               'account_id', p_account_id, 'user_id', p_user_id)::text,
    hint = case p_limit
             when 'in_flight' then 'Wait for a generation to finish, or raise the limit (set_credit_limits).'
             when 'daily_credits' then 'Wait for the next UTC day, or raise the limit (set_credit_limits).'
             else 'Wait for the next UTC day, or raise the member''s cap (add_team_member).' end;
end;
$$;

comment on function credits_private.raise_limit_reached(text, bigint, bigint, bigint, uuid, uuid) is
  'Raises CR007: a start past the in-flight, daily or member''s daily limit.';
revoke all on function credits_private.raise_limit_reached(text, bigint, bigint, bigint, uuid, uuid) from public;
