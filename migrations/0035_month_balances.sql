-- Up Migration
-- Month-edge checkpoints (issue 30, item 4): an account's balance at 00:00 UTC on the first of
-- each month it changed before, as the closing that crossed that edge proved it. A past balance
-- (credit_balance_at) and a statement's opening balance were the sums of every earlier row of
-- the account, so they slowed down as its history grew; they now start from the latest
-- checkpoint at or before the instant and add the rows since (at most a month's).
-- credits_private.month_balances: (user_id, at) with the sums of the account's rows before `at`,
-- as closed_balances has them (Σ amount, the monthly and promotional parts, the debt, the rows).
-- Written by close_ledger for every month edge a closing crosses, for the accounts with rows in
-- the month before it. The closings before this migration wrote none: until the next month edge
-- is closed, reads fall back on closed_balances or on the rows, as before.
create table credits_private.month_balances (
  user_id uuid not null,
  at timestamptz not null,
  ledger_sum bigint not null,
  monthly_credits bigint not null,
  promotional_credits bigint not null,
  debt_credits bigint not null,
  ledger_rows bigint not null,
  constraint month_balances_pkey primary key (user_id, at),
  constraint month_balances_at_check check (at = date_trunc('month', at at time zone 'UTC') at time zone 'UTC')
);
comment on table credits_private.month_balances is
  'Each account''s ledger sums before the start of each UTC month it changed in the month before, as closings proved them.';
revoke all on credits_private.month_balances from public;

-- Down Migration
-- Derived from the rows (which stay) by the closings: kept in archive all the same, and not
-- brought back by the next up (the next month edge closed writes new ones; reads fall back on
-- the rows meanwhile).
create schema if not exists archive;
create table if not exists archive.m0035_month_balances (like credits_private.month_balances);
insert into archive.m0035_month_balances select * from credits_private.month_balances;
drop table credits_private.month_balances;
