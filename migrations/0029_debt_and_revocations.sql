-- Up Migration
-- Taking credits back: revocations, debt and voided grants (issue 28, contract §13).
-- 1. Debt. credits_private.account_debts holds what an account owes (a revocation took more
--    than it held); invariant 1 becomes credits - debt = Σ amount. Not a column of user_credits:
--    every column there costs every statement that reads or writes an account (performance.md),
--    and debt needs none of them. An account in debt holds nothing (every credit that comes in
--    repays it first), so only a write that finds the account at 0 looks debt up.
-- 2. credit_transactions.debt_amount: the part of a row's amount that repaid (positive) or
--    created (negative) debt, as monthly_amount is its monthly part; debt = -Σ debt_amount.
--    Null on the rows that neither create nor repay debt (nearly all): a null costs a ledger row
--    no byte (its null bitmap exists already), a 0 would cost 8 (measured: 152 -> 161 B a row).
--    verify_ledger() proves its sign, as it does promotional_amount's: no CHECK reads it, since
--    each CHECK costs every ledger row written its expression's parse (a separate one measured
--    +40,000 instructions a start on PostgreSQL 15).
-- 3. credits_private.revocations: one per revocation key (scoped per account, as grants' keys
--    are), with the debt it left, so a replay returns the first call's result; the uniqueness
--    lives here, not in another index of the ledger.
-- 4. A voided promotional grant (void_promotional_grant): voided_at and its reason on the lot.
-- 5. public.credit_balance gains debt_credits; public.period_statement revoked and the debt.
alter table public.credit_transactions add column debt_amount bigint;
comment on column public.credit_transactions.debt_amount is
  'The part of amount that repaid (positive) or created (negative) debt (null: none); an account''s debt is -Σ debt_amount.';
grant select (debt_amount) on public.credit_transactions to authenticated;

create table credits_private.account_debts (
  user_id uuid primary key references public.user_credits (user_id),
  debt_credits bigint not null check (debt_credits >= 0),
  updated_at timestamptz not null default now()
);
comment on table credits_private.account_debts is
  'What an account owes: credits revoked beyond what it held, repaid first by every credit that comes in.';

create table credits_private.revocations (
  user_id uuid not null references public.user_credits (user_id),
  idempotency_key text not null,
  transaction_id uuid not null,
  debt_credits bigint not null,
  created_at timestamptz not null default now(),
  primary key (user_id, idempotency_key)
);
comment on table credits_private.revocations is
  'One row per revocation key of an account: its ledger row and the debt it left (what a replay returns).';

alter table credits_private.promotional_lots add column voided_at timestamptz, add column void_reason text;
comment on column credits_private.promotional_lots.voided_at is
  'When the grant was voided: what was left expired then, and a later refund to it expires at once.';

alter type public.credit_balance add attribute debt_credits bigint;
alter type public.period_statement
  add attribute revoked bigint,
  add attribute opening_debt bigint,
  add attribute closing_debt bigint;

-- Up again after a down: what the down kept comes back.
do $$
begin
  if to_regclass('archive.m0029_debts') is not null then
    update public.credit_transactions c set debt_amount = a.debt_amount from archive.m0029_ledger a where a.id = c.id;
    insert into credits_private.account_debts (user_id, debt_credits)
    select a.user_id, a.debt_credits from archive.m0029_debts a join public.user_credits uc on uc.user_id = a.user_id;
    insert into credits_private.revocations select * from archive.m0029_revocations on conflict do nothing;
    update credits_private.promotional_lots l
       set voided_at = a.voided_at, void_reason = a.void_reason
      from archive.m0029_voids a where a.id = l.id;
    drop table archive.m0029_debts, archive.m0029_ledger, archive.m0029_revocations, archive.m0029_voids;
  end if;
end;
$$;

-- Down Migration
-- The deploy drops every definition before migrations run down. Revocations stay in the ledger
-- ('revocation' rows, balances unchanged); the debts, each row's debt part, the revocation keys
-- and the voids are kept in archive and come back with the next up. The earlier verify_ledger
-- reports an account in debt as balance_mismatch: it knows no debt.
create schema if not exists archive;
drop table if exists archive.m0029_debts, archive.m0029_ledger, archive.m0029_revocations, archive.m0029_voids;
create table archive.m0029_debts as select user_id, debt_credits from credits_private.account_debts where debt_credits > 0;
create table archive.m0029_ledger as select id, debt_amount from public.credit_transactions where debt_amount is not null;
create table archive.m0029_revocations as select * from credits_private.revocations;
create table archive.m0029_voids as
  select id, voided_at, void_reason from credits_private.promotional_lots where voided_at is not null;
alter type public.period_statement drop attribute revoked, drop attribute opening_debt, drop attribute closing_debt;
alter type public.credit_balance drop attribute debt_credits;
alter table credits_private.promotional_lots drop column voided_at, drop column void_reason;
drop table credits_private.revocations, credits_private.account_debts;
alter table public.credit_transactions drop column debt_amount;
