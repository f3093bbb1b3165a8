-- Up Migration
-- Low-balance events (issue 15): when a charge takes an account's balance from at or above its
-- threshold to below it, start_generation writes one event in its own transaction into the outbox
-- credits_private.credit_events and notifies the channel credit_events, so the application can
-- email the user or show a paywall. Consumers claim events (claim_credit_events: SKIP LOCKED,
-- leased) and mark them done (complete_credit_events).
-- 1. The threshold: credit_tiers.low_balance_threshold per tier (null: no events on that tier),
--    user_credits.low_balance_threshold_override per account (null: the tier's), and
--    user_credits.low_balance_threshold, the one in effect, which the charge reads from the row
--    it locks anyway: looking the tier's up on every charge cost 3.3 % of its instructions. It is
--    written when the account is created, changes tier, starts a period (roll_over) or gets an
--    override, so a change of a tier's threshold reaches each account at its next period, as a
--    change of its allowance does. Nullable columns without a default: adding them rewrites
--    nothing. No CHECK on user_credits (a second CHECK would be re-planned on every charge on
--    PostgreSQL 15, migration 0006): set_low_balance_threshold validates what it writes.
-- 2. The outbox, with a partial index on the events not yet done (what consumers read).
alter table public.credit_tiers add column low_balance_threshold integer
  constraint credit_tiers_low_balance_threshold_check check (low_balance_threshold between 1 and 100000000);
comment on column public.credit_tiers.low_balance_threshold is
  'A charge that takes a balance of this tier below it writes a low-balance event; null: none.';
alter table public.user_credits add column low_balance_threshold integer, add column low_balance_threshold_override integer;
comment on column public.user_credits.low_balance_threshold is
  'The low-balance threshold in effect: the override, else the tier''s as of the account''s period; null: no events.';
comment on column public.user_credits.low_balance_threshold_override is
  'This account''s own low-balance threshold (set_low_balance_threshold); null: its tier''s.';

create table credits_private.credit_events (
  id bigint generated always as identity primary key,
  kind text not null constraint credit_events_kind_check check (kind in ('low_balance')),
  user_id uuid not null,
  balance bigint not null,
  threshold integer not null,
  task_id uuid,
  created_at timestamptz not null default now(),
  attempts integer not null default 0,
  claimed_until timestamptz,
  done_at timestamptz
);
create index credit_events_pending_idx on credits_private.credit_events (id) where done_at is null;
comment on table credits_private.credit_events is
  'The outbox of credit events (low balance): written in the charge''s transaction, claimed and completed by consumers.';
revoke all on credits_private.credit_events from public;

do $$
begin
  if to_regclass('archive.m0021_credit_events') is not null then
    -- with their ids: consumers deduplicate by event_id, so no id may be handed out twice
    insert into credits_private.credit_events
      (id, kind, user_id, balance, threshold, task_id, created_at, attempts, claimed_until, done_at)
    overriding system value
    select id, kind, user_id, balance, threshold, task_id, created_at, attempts, claimed_until, done_at
      from archive.m0021_credit_events order by id;
    perform setval(pg_get_serial_sequence('credits_private.credit_events', 'id'),
                   coalesce((select max(id) from credits_private.credit_events), 0) + 1, false);
    update public.credit_tiers t set low_balance_threshold = a.low_balance_threshold
      from archive.m0021_tier_thresholds a where a.tier = t.tier;
    update public.user_credits uc set low_balance_threshold = a.low_balance_threshold,
                                      low_balance_threshold_override = a.low_balance_threshold_override
      from archive.m0021_account_thresholds a where a.user_id = uc.user_id;
    drop table archive.m0021_credit_events, archive.m0021_tier_thresholds, archive.m0021_account_thresholds;
  end if;
end;
$$;

-- Down Migration
-- Kept in archive: the events and the thresholds.
drop table if exists archive.m0021_credit_events, archive.m0021_tier_thresholds, archive.m0021_account_thresholds;
create table archive.m0021_credit_events as select * from credits_private.credit_events;
create table archive.m0021_tier_thresholds as
  select tier, low_balance_threshold from public.credit_tiers where low_balance_threshold is not null;
create table archive.m0021_account_thresholds as
  select user_id, low_balance_threshold, low_balance_threshold_override from public.user_credits
   where low_balance_threshold is not null or low_balance_threshold_override is not null;
drop table credits_private.credit_events;
alter table public.user_credits drop column low_balance_threshold, drop column low_balance_threshold_override;
alter table public.credit_tiers drop column low_balance_threshold;
