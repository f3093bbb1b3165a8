-- limit_in_effect: a limit as an account has it: its own (set_credit_limits: positive its limit, 0
-- none whatever its tier) or, when it has none of its own (null), its tier's (null: none). What
-- user_credits.max_in_flight and daily_credit_limit hold, written wherever an account's tier or
-- its own limits change.
create or replace function credits_private.limit_in_effect(p_override integer, p_tier_limit integer)
returns integer
language sql
immutable
set search_path to pg_catalog, pg_temp
as $$
  select case when p_override = 0 then null else coalesce(p_override, p_tier_limit) end;
$$;

comment on function credits_private.limit_in_effect(integer, integer) is
  'An account''s limit in effect: its own (0: none), else its tier''s.';
revoke all on function credits_private.limit_in_effect(integer, integer) from public;
