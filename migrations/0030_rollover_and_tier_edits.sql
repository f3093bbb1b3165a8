-- Up Migration
-- Rollover and tiers an admin edits (issue 29, contract §13).
-- credit_tiers.rollover_cap: at a period change, up to this many of an account's unused monthly
-- credits stay in its monthly bucket (carried into the new period, the tier it starts on
-- deciding), the rest expires; 0 (the default, every tier as deployed) keeps §2's rule: all
-- expire. The ledger says how many were carried in the allocation row's description (the
-- expiration row is what did not carry): no second 'allocation' row for the period.
-- upsert_credit_tier (a definition) edits the tiers; credit_tiers' limits already reach their
-- accounts at once (0028's trigger).
alter table public.credit_tiers
  add column rollover_cap integer not null default 0
    constraint credit_tiers_rollover_cap_check check (rollover_cap between 0 and 100000000);
comment on column public.credit_tiers.rollover_cap is
  'Unused monthly credits an account of this tier carries into its next period (0: all expire).';

-- Up again after a down: what the down kept comes back.
do $$
begin
  if to_regclass('archive.m0030_tiers') is not null then
    update public.credit_tiers t set rollover_cap = a.rollover_cap from archive.m0030_tiers a where a.tier = t.tier;
    drop table archive.m0030_tiers;
  end if;
end;
$$;

-- Down Migration
-- The deploy drops every definition before migrations run down. Credits already carried stay
-- monthly credits of their period (an earlier release expires them at the next one); the tiers'
-- caps are kept in archive and come back with the next up.
create schema if not exists archive;
drop table if exists archive.m0030_tiers;
create table archive.m0030_tiers as select tier, rollover_cap from public.credit_tiers where rollover_cap <> 0;
alter table public.credit_tiers drop column rollover_cap;
