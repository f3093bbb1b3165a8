-- refresh_limited: marks the given accounts limited or not (user_credits.limited_since) after
-- their tier or their own limits changed: limited when a limit is in effect (limits_of). An
-- account that becomes limited gets a new limited_since (clock time: distinct even within one
-- transaction), so what its limits are checked against is counted afresh (count_against_limits);
-- one that stays limited keeps its counts. The caller holds the accounts' row locks, or writes
-- them in this statement's order.
create or replace function credits_private.refresh_limited(p_user_ids uuid[])
returns void
language sql
volatile
set search_path to pg_catalog, pg_temp
as $$
  -- the accounts' tiers kept as they are while this reads them: a change of a tier's limits
  -- waits, then its trigger sees what this wrote (or this waits, then reads the new limits)
  select 1 from public.credit_tiers t
   where t.tier in (select u.tier from public.user_credits u where u.user_id = any(p_user_ids))
     for share;
  update public.user_credits uc
     set limited_since = case when x.limited then coalesce(uc.limited_since, clock_timestamp()) end
    from (select u.user_id,
                 credits_private.limit_in_effect(l.max_in_flight_override, t.max_in_flight) is not null
                 or credits_private.limit_in_effect(l.daily_credit_limit_override, t.daily_credit_limit) is not null as limited
            from public.user_credits u
            join public.credit_tiers t on t.tier = u.tier
            left join credits_private.account_limits l on l.user_id = u.user_id
           where u.user_id = any(p_user_ids)) x
   where uc.user_id = x.user_id and x.limited is distinct from (uc.limited_since is not null);
$$;

comment on function credits_private.refresh_limited(uuid[]) is
  'Marks accounts limited (user_credits.limited_since) or not after their tier or own limits changed.';
revoke all on function credits_private.refresh_limited(uuid[]) from public;
