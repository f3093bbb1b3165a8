-- Up Migration
-- Plan changes (issue 15, contract §10): change_tier applies an upgrade now, with the difference
-- of the monthly allowances for the current period as a 'tier_upgrade' ledger row (the period
-- already has its one 'allocation' row), and schedules a downgrade for the account's next period.
-- 1. user_credits.pending_tier: the tier the next period starts on (null: the same). Nullable
--    without a default, so adding it rewrites nothing; no index (a charge's UPDATE stays HOT).
-- 2. public.credit_balance gains pending_tier: every balance result shows a scheduled downgrade.
-- 3. credits_private.tier_changes: one row per change asked, its idempotency key unique per user
--    (a downgrade writes no ledger row, so the ledger cannot be its idempotency record).
-- 4. The ledger type 'tier_upgrade': positive, into the monthly bucket.
alter table public.user_credits
  add column pending_tier text constraint user_credits_pending_tier_fkey references public.credit_tiers (tier);
comment on column public.user_credits.pending_tier is
  'The tier the account''s next period starts on (a scheduled downgrade); null when it stays on tier.';
alter type public.credit_balance add attribute pending_tier text;

create table credits_private.tier_changes (
  id bigint generated always as identity primary key,
  user_id uuid not null,
  idempotency_key text not null,
  from_tier text not null,
  to_tier text not null,
  outcome text not null
    constraint tier_changes_outcome_check check (outcome in ('upgraded', 'changed', 'downgrade_scheduled', 'unchanged')),
  credits_granted bigint not null default 0,
  transaction_id uuid,
  period_start date not null,
  created_at timestamptz not null default now(),
  constraint tier_changes_user_id_idempotency_key_key unique (user_id, idempotency_key)
);
comment on table credits_private.tier_changes is
  'Every plan change asked of change_tier, by idempotency key: what it did and what it granted.';
revoke all on credits_private.tier_changes from public;

create or replace function credits_private.credit_transaction_is_valid(
  type text, origin text, amount bigint, monthly_amount bigint)
returns boolean
language plpgsql
immutable
set search_path to pg_catalog, pg_temp
as $$
declare
  broken integer := case
    when not (type in ('usage', 'refund', 'allocation', 'expiration', 'purchase', 'adjustment', 'tier_upgrade')) then 1
    when not (origin in ('legacy', 'rpc', 'sweeper', 'adoption', 'backfill')) then 2
    -- rows the package writes have the sign of their type and a bucket split inside the amount
    when not (origin = 'legacy'
              or (amount < 0 and type in ('usage', 'expiration'))
              or (amount > 0 and type in ('refund', 'allocation', 'purchase', 'tier_upgrade'))
              or (amount <> 0 and type = 'adjustment')) then 3
    when not (monthly_amount between least(amount, 0) and greatest(amount, 0)) then 4
  end;
begin
  if broken is null then
    return true;
  end if;
  raise exception using errcode = 'check_violation', table = 'credit_transactions',
    constraint = 'credit_transactions_row_check', message = 'credit_transactions row refused: ' || case broken
      when 1 then format('type must be usage, refund, allocation, expiration, purchase, adjustment or tier_upgrade, not %L', type)
      when 2 then format('origin must be legacy, rpc, sweeper, adoption or backfill, not %L', origin)
      when 3 then format('amount %s has the wrong sign for type %L', amount, type)
      else format('monthly_amount %s must lie between 0 and amount %s', monthly_amount, amount)
    end;
end;
$$;

-- What a down migration took away comes back (archive.m0019_*).
do $$
begin
  if to_regclass('archive.m0019_tier_changes') is not null then
    insert into credits_private.tier_changes (id, user_id, idempotency_key, from_tier, to_tier, outcome, credits_granted,
                                              transaction_id, period_start, created_at)
    overriding system value
    select id, user_id, idempotency_key, from_tier, to_tier, outcome, credits_granted, transaction_id, period_start, created_at
      from archive.m0019_tier_changes order by id;
    perform setval(pg_get_serial_sequence('credits_private.tier_changes', 'id'),
                   coalesce((select max(id) from credits_private.tier_changes), 0) + 1, false);
    -- a scheduled downgrade comes back only to an account still in the period it was scheduled in
    -- (one that started a period meanwhile did so on its current tier: the downgrade is dropped)
    update public.user_credits uc set pending_tier = a.pending_tier
      from archive.m0019_pending_tiers a
     where a.user_id = uc.user_id and a.period_start is not distinct from uc.period_start;
    update public.credit_transactions c set type = 'tier_upgrade'
      from archive.m0019_tier_upgrades a where a.id = c.id;
    drop table archive.m0019_tier_changes, archive.m0019_pending_tiers, archive.m0019_tier_upgrades;
  end if;
end;
$$;

-- Down Migration
-- Kept in archive: the plan changes, the scheduled downgrades, which ledger rows were upgrades
-- (they become 'adjustment' rows, with their amounts: the balances stay explained).
drop table if exists archive.m0019_tier_changes, archive.m0019_pending_tiers, archive.m0019_tier_upgrades;
create table archive.m0019_tier_changes as select * from credits_private.tier_changes;
create table archive.m0019_pending_tiers as
  select user_id, pending_tier, period_start from public.user_credits where pending_tier is not null;
create table archive.m0019_tier_upgrades as select id from public.credit_transactions where type = 'tier_upgrade';
update public.credit_transactions set type = 'adjustment' where type = 'tier_upgrade';

-- The row check as 0017 left it.
create or replace function credits_private.credit_transaction_is_valid(
  type text, origin text, amount bigint, monthly_amount bigint)
returns boolean
language plpgsql
immutable
set search_path to pg_catalog, pg_temp
as $$
declare
  broken integer := case
    when not (type in ('usage', 'refund', 'allocation', 'expiration', 'purchase', 'adjustment')) then 1
    when not (origin in ('legacy', 'rpc', 'sweeper', 'adoption', 'backfill')) then 2
    -- rows the package writes have the sign of their type and a bucket split inside the amount
    when not (origin = 'legacy'
              or (amount < 0 and type in ('usage', 'expiration'))
              or (amount > 0 and type in ('refund', 'allocation', 'purchase'))
              or (amount <> 0 and type = 'adjustment')) then 3
    when not (monthly_amount between least(amount, 0) and greatest(amount, 0)) then 4
  end;
begin
  if broken is null then
    return true;
  end if;
  raise exception using errcode = 'check_violation', table = 'credit_transactions',
    constraint = 'credit_transactions_row_check', message = 'credit_transactions row refused: ' || case broken
      when 1 then format('type must be usage, refund, allocation, expiration, purchase or adjustment, not %L', type)
      when 2 then format('origin must be legacy, rpc, sweeper, adoption or backfill, not %L', origin)
      when 3 then format('amount %s has the wrong sign for type %L', amount, type)
      else format('monthly_amount %s must lie between 0 and amount %s', monthly_amount, amount)
    end;
end;
$$;

drop table credits_private.tier_changes;
alter type public.credit_balance drop attribute pending_tier;
alter table public.user_credits drop column pending_tier;
