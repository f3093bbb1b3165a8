-- apply_tier_limits: the trigger on credit_tiers that gives a tier's changed limits
-- (max_in_flight, daily_credit_limit) to its accounts at once: each account of the tier is limited
-- (user_credits.limited_since) when its own limit, else the tier's, is one
-- (credits_private.limit_in_effect, inline: the migration that created the trigger runs it before
-- any definition is applied). An account that becomes limited gets a new limited_since in clock
-- time, as refresh_limited gives it: distinct even within one transaction, so counts taken under
-- an earlier limit are never trusted again. Created by migration 0028 with the trigger (with
-- now() there); this file replaces it at the next deploy.
create or replace function credits_private.apply_tier_limits()
returns trigger
language plpgsql
volatile
set search_path to pg_catalog, pg_temp
as $$
begin
  update public.user_credits uc
     set limited_since = case when x.limited then coalesce(uc.limited_since, clock_timestamp()) end
    from (select u.user_id,
                 case when l.max_in_flight_override = 0 then null else coalesce(l.max_in_flight_override, new.max_in_flight) end is not null
                 or case when l.daily_credit_limit_override = 0 then null else coalesce(l.daily_credit_limit_override, new.daily_credit_limit) end is not null
                   as limited
            from public.user_credits u
            left join credits_private.account_limits l on l.user_id = u.user_id
           where u.tier = new.tier) x
   where uc.user_id = x.user_id and x.limited is distinct from (uc.limited_since is not null);
  return null;
end;
$$;

comment on function credits_private.apply_tier_limits() is
  'Trigger: a tier''s changed limits reach its accounts at once (unless they have their own).';
revoke all on function credits_private.apply_tier_limits() from public;
