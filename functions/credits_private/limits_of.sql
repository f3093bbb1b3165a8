-- limits_of: the limits in effect for an account (contract §12): for each, its own
-- (credits_private.account_limits, set_credit_limits) or else its tier's
-- (credits_private.limit_in_effect); null: none. Null, null for no such account.
create or replace function credits_private.limits_of(
  p_user_id uuid,
  out max_in_flight integer,
  out daily_credit_limit integer
)
language sql
stable
set search_path to pg_catalog, pg_temp
as $$
  select credits_private.limit_in_effect(l.max_in_flight_override, t.max_in_flight),
         credits_private.limit_in_effect(l.daily_credit_limit_override, t.daily_credit_limit)
    from public.user_credits uc
    join public.credit_tiers t on t.tier = uc.tier
    left join credits_private.account_limits l on l.user_id = uc.user_id
   where uc.user_id = p_user_id;
$$;

comment on function credits_private.limits_of(uuid) is 'The in-flight and daily credit limits in effect for an account (null: none).';
revoke all on function credits_private.limits_of(uuid) from public;
