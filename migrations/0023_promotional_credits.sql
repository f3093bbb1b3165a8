-- Up Migration
-- Promotional credits (issue 15, contract §10; the design is docs/promotional-credits.md): grants
-- that expire on their own date form a third bucket of every balance, spent first.
-- 1. user_credits.promotional_credits: the bucket, the sum of the account's lots not yet expired;
--    credit_transactions.promotional_amount: the part of a row's amount that moved it (as
--    monthly_amount is the monthly part). Not null with a constant default: adding them rewrites
--    nothing.
-- 2. The accounts' row check takes the new column (credits = monthly + purchased + promotional,
--    none negative): its function gains an argument, so the check is dropped and re-added, one
--    scan of user_credits to validate it. The ledger's check is unchanged: a grant is an
--    'adjustment' row (the contract's "everything else") whose promotional_amount is its amount,
--    and the check does not read promotional_amount (each column a CHECK reads costs about 6,000
--    instructions per inserted row on PostgreSQL 15, docs/promotional-credits.md; only the
--    package's functions write the ledger, and verify_ledger proves the promotional parts).
-- 3. credits_private.promotional_lots: one row per grant, with its expiry and what is left of it;
--    credits_private.promotional_spends: which lots a charge spent, so that its refund returns
--    each credit to the lot it came from.
-- 4. public.credit_balance gains promotional_credits and promotional_expires_at (the soonest
--    expiry), public.period_statement gains promoted (the month's grants).
alter table public.user_credits add column promotional_credits bigint not null default 0;
comment on column public.user_credits.promotional_credits is
  'Promotional credits: what is left of the account''s grants that expire on their own date (credits_private.promotional_lots).';
alter table public.credit_transactions add column promotional_amount bigint not null default 0;
comment on column public.credit_transactions.promotional_amount is
  'The part of amount that moved the promotional bucket (a grant, a charge or refund of promotional credits, their expiry).';
grant select (promotional_amount) on public.credit_transactions to authenticated;

-- monthly_allowance is no longer an argument: every write copies it from credit_tiers, whose
-- check keeps it in 0..100,000,000, and each column a CHECK reads costs about 6,000
-- instructions per written row on PostgreSQL 15 (docs/promotional-credits.md): the new bucket
-- takes its place, so a charge pays for its check what it paid before. Its argument types are
-- those of 0007's function: that one goes first, with the check that calls it.
alter table public.user_credits drop constraint user_credits_row_check;
drop function credits_private.credit_account_is_valid(bigint, bigint, bigint, bigint, bigint, date);
create function credits_private.credit_account_is_valid(
  credits bigint, monthly_credits bigint, purchased_credits bigint, promotional_credits bigint,
  credits_used_this_month bigint, period_start date)
returns boolean
language plpgsql
immutable
set search_path to pg_catalog, pg_temp
as $$
declare
  broken integer := case
    when not (credits = monthly_credits + purchased_credits + promotional_credits) then 1
    when not (least(monthly_credits, purchased_credits, promotional_credits, credits_used_this_month) >= 0) then 2
    when not (extract(day from period_start) = 1) then 3
  end;
begin
  if broken is null then
    return true;
  end if;
  raise exception using errcode = 'check_violation', table = 'user_credits',
    constraint = 'user_credits_row_check', message = 'user_credits row refused: ' || case broken
      when 1 then format('credits %s must equal monthly_credits %s + purchased_credits %s + promotional_credits %s',
                         credits, monthly_credits, purchased_credits, promotional_credits)
      when 2 then format('no balance or counter may be negative (credits %s, monthly %s, purchased %s, promotional %s, used this month %s)',
                         credits, monthly_credits, purchased_credits, promotional_credits, credits_used_this_month)
      else format('period_start must be the first day of a month, not %s', period_start)
    end;
end;
$$;

revoke all on function credits_private.credit_account_is_valid(bigint, bigint, bigint, bigint, bigint, date) from public;

alter table public.user_credits
  add constraint user_credits_row_check check (credits_private.credit_account_is_valid(
    credits, monthly_credits, purchased_credits, promotional_credits, credits_used_this_month, period_start));

-- One lot per grant. Live: expired_at is null (the expiry job, or the account's next charge
-- once expires_at has passed, sets it and writes the 'expiration' row of what remained).
-- Every writer of an account's lots holds the account's row lock first, so lots are never locked
-- in another order.
create table credits_private.promotional_lots (
  id bigint generated always as identity primary key,
  user_id uuid not null,
  granted bigint not null,
  remaining bigint not null,
  valid_for interval not null,
  expires_at timestamptz not null,
  reason text not null,
  idempotency_key text not null,
  transaction_id uuid not null,
  created_at timestamptz not null default now(),
  expired_at timestamptz,
  constraint promotional_lots_remaining_check check (granted > 0 and remaining between 0 and granted),
  -- grant_promotional_credits' idempotency record (a key per user, apart from grant_credits' keys)
  constraint promotional_lots_user_id_idempotency_key_key unique (user_id, idempotency_key)
);
-- the live lots of an account, soonest expiry first (a charge spends them in this order)
create index promotional_lots_live_idx on credits_private.promotional_lots (user_id, expires_at, id) where expired_at is null;
-- the live lots by expiry (what the expiry job reads)
create index promotional_lots_due_idx on credits_private.promotional_lots (expires_at, id) where expired_at is null;
comment on table credits_private.promotional_lots is
  'Promotional grants, one lot each: what is left of it and when it expires (grant_promotional_credits).';
revoke all on credits_private.promotional_lots from public;

create table credits_private.promotional_spends (
  task_id uuid not null,
  lot_id bigint not null references credits_private.promotional_lots (id),
  credits bigint not null constraint promotional_spends_credits_check check (credits > 0),
  primary key (task_id, lot_id)
);
create index promotional_spends_lot_id_idx on credits_private.promotional_spends (lot_id);
comment on table credits_private.promotional_spends is
  'The promotional credits a charge took from each lot, so that its refund returns them there.';
revoke all on credits_private.promotional_spends from public;

alter type public.credit_balance add attribute promotional_credits bigint, add attribute promotional_expires_at timestamptz;
alter type public.period_statement add attribute promoted bigint;

-- What a down migration took away comes back (archive.m0023_*): the lots and spends, and the
-- ledger rows' promotional parts. The down expired every lot (its credits stayed the
-- user's as purchased ones, in the ledger), so no account holds promotional credits again.
do $$
begin
  if to_regclass('archive.m0023_lots') is not null then
    insert into credits_private.promotional_lots
      (id, user_id, granted, remaining, valid_for, expires_at, reason, idempotency_key, transaction_id, created_at, expired_at)
    overriding system value
    select id, user_id, granted, remaining, valid_for, expires_at, reason, idempotency_key, transaction_id, created_at, expired_at
      from archive.m0023_lots order by id;
    perform setval(pg_get_serial_sequence('credits_private.promotional_lots', 'id'),
                   coalesce((select max(id) from credits_private.promotional_lots), 0) + 1, false);
    insert into credits_private.promotional_spends (task_id, lot_id, credits)
    select task_id, lot_id, credits from archive.m0023_spends;
    update public.credit_transactions c set promotional_amount = a.promotional_amount
      from archive.m0023_ledger a where a.id = c.id;
    drop table archive.m0023_lots, archive.m0023_spends, archive.m0023_ledger;
  end if;
end;
$$;

-- Down Migration
-- Nothing is lost: a lot past its date expires (as the job would), each lot still valid closes
-- and its credits come back as purchased ones (an 'expiration' row and an 'adjustment' row that
-- say so), so every balance stays what its reads showed and the ledger explains it without the
-- promotional columns. Kept in archive:
-- the lots, the spends, and each ledger row's promotional part.
-- (The package's functions are dropped before a down migration runs: this block writes what
-- credits_private.expire_promotional_lots would.)
do $$
declare
  v_lot record;
  v_balance bigint;
begin
  for v_lot in
    select l.id, l.user_id, l.remaining, l.granted, l.reason, l.expires_at <= now() as lapsed
      from credits_private.promotional_lots l
     where l.expired_at is null and l.remaining > 0
     order by l.user_id, l.expires_at, l.id
  loop
    if v_lot.lapsed then
      -- past its date: it expires, as the job would have expired it (balance reads leave it out)
      update public.user_credits uc
         set promotional_credits = uc.promotional_credits - v_lot.remaining, credits = uc.credits - v_lot.remaining,
             updated_at = now()
       where uc.user_id = v_lot.user_id
      returning uc.credits into v_balance;
      insert into public.credit_transactions
        (user_id, amount, promotional_amount, type, description, balance_after)
      values (v_lot.user_id, -v_lot.remaining, -v_lot.remaining, 'expiration',
              format('promotional credits expired: %s of %s (%s), lot %s', v_lot.remaining, v_lot.granted, v_lot.reason, v_lot.id),
              v_balance);
      continue;
    end if;
    update public.user_credits uc
       set promotional_credits = uc.promotional_credits - v_lot.remaining,
           purchased_credits = uc.purchased_credits + v_lot.remaining, updated_at = now()
     where uc.user_id = v_lot.user_id
    returning uc.credits into v_balance;
    -- no period_start, as every lot's expiration (a period has one expiration of monthly credits)
    insert into public.credit_transactions
      (user_id, amount, promotional_amount, type, description, balance_after)
    values (v_lot.user_id, -v_lot.remaining, -v_lot.remaining, 'expiration',
            format('promotional lot %s closed: migration 0023 rolled back', v_lot.id), v_balance - v_lot.remaining),
           (v_lot.user_id, v_lot.remaining, 0, 'adjustment',
            format('promotional lot %s kept as purchased credits: migration 0023 rolled back', v_lot.id), v_balance);
  end loop;
  update credits_private.promotional_lots l set remaining = 0, expired_at = now() where l.expired_at is null;
end;
$$;

drop table if exists archive.m0023_lots, archive.m0023_spends, archive.m0023_ledger;
create table archive.m0023_lots as select * from credits_private.promotional_lots;
create table archive.m0023_spends as select * from credits_private.promotional_spends;
create table archive.m0023_ledger as
  select id, promotional_amount from public.credit_transactions where promotional_amount <> 0;

-- The row checks as 0019 left them.
alter table public.user_credits drop constraint user_credits_row_check;
drop function credits_private.credit_account_is_valid(bigint, bigint, bigint, bigint, bigint, date);
create function credits_private.credit_account_is_valid(
  credits bigint, monthly_credits bigint, purchased_credits bigint,
  credits_used_this_month bigint, monthly_allowance bigint, period_start date)
returns boolean
language plpgsql
immutable
set search_path to pg_catalog, pg_temp
as $$
declare
  broken integer := case
    when not (credits = monthly_credits + purchased_credits) then 1
    when not (least(credits, monthly_credits, purchased_credits, credits_used_this_month, monthly_allowance) >= 0) then 2
    when not (extract(day from period_start) = 1) then 3
  end;
begin
  if broken is null then
    return true;
  end if;
  raise exception using errcode = 'check_violation', table = 'user_credits',
    constraint = 'user_credits_row_check', message = 'user_credits row refused: ' || case broken
      when 1 then format('credits %s must equal monthly_credits %s + purchased_credits %s', credits, monthly_credits, purchased_credits)
      when 2 then format('no balance or counter may be negative (credits %s, monthly %s, purchased %s, used this month %s, allowance %s)',
                         credits, monthly_credits, purchased_credits, credits_used_this_month, monthly_allowance)
      else format('period_start must be the first day of a month, not %s', period_start)
    end;
end;
$$;

revoke all on function credits_private.credit_account_is_valid(bigint, bigint, bigint, bigint, bigint, date) from public;

alter table public.user_credits
  add constraint user_credits_row_check check (credits_private.credit_account_is_valid(
    credits, monthly_credits, purchased_credits, credits_used_this_month, monthly_allowance, period_start));

drop table credits_private.promotional_spends, credits_private.promotional_lots;
alter type public.period_statement drop attribute promoted;
alter type public.credit_balance drop attribute promotional_expires_at, drop attribute promotional_credits;
alter table public.credit_transactions drop column promotional_amount;
alter table public.user_credits drop column promotional_credits;
