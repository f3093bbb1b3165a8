-- Up Migration
-- Automatic top-ups (issue 29, contract §13). set_auto_top_up gives an account a threshold, a
-- target and a monthly limit; a charge that takes its balance from at or above the threshold to
-- below it writes one 'top_up_requested' event into the outbox (claim_credit_events), whose
-- credits the application buys (a saved card charged off-session) and grants with the event's
-- idempotency key (grant_credits), or declines (decline_top_up).
-- 1. user_credits.auto_top_up_threshold: the threshold in effect (null: off), the one thing the
--    charge reads, from the row it locks anyway, as it reads low_balance_threshold. The rest
--    lives in credits_private.auto_top_ups: every column of user_credits costs every statement
--    that touches an account (performance.md). Nullable without a default: adding it rewrites
--    nothing, and an account without top-ups stores nothing.
-- 2. credits_private.auto_top_ups: the settings, the credits requested in the UTC month
--    (month, requested_credits: what the monthly limit counts) and the open request, if any
--    (open_event_id, until open_until: 24 hours; at most one per account).
-- 3. credit_events gains credits and idempotency_key (the request's), and its outcome once the
--    application granted or declined it, or it lapsed unanswered (outcome, resolved_at). Keys are
--    'auto-top-up:<event id>', unique.
alter table public.user_credits add column auto_top_up_threshold integer;
comment on column public.user_credits.auto_top_up_threshold is
  'The automatic top-up threshold in effect (set_auto_top_up); null: no automatic top-ups.';

create table credits_private.auto_top_ups (
  user_id uuid primary key references public.user_credits (user_id),
  threshold integer,
  target integer,
  monthly_limit integer,
  month date not null,
  requested_credits bigint not null default 0,
  open_event_id bigint,
  open_until timestamptz,
  updated_at timestamptz not null default now(),
  constraint auto_top_ups_settings_check check (
    (threshold is null and target is null and monthly_limit is null)
    or (threshold between 1 and 100000000 and target > threshold and target <= 100000000
        and (monthly_limit is null or monthly_limit between 1 and 1000000000))),
  constraint auto_top_ups_open_check check ((open_event_id is null) = (open_until is null))
);
comment on table credits_private.auto_top_ups is
  'Each account''s automatic top-up: its settings (null: off), the credits requested this UTC month and its open request.';

alter table credits_private.credit_events
  add column credits integer,
  add column idempotency_key text,
  add column outcome text,
  add column resolved_at timestamptz,
  drop constraint credit_events_kind_check,
  add constraint credit_events_kind_check check (kind in ('low_balance', 'top_up_requested')),
  add constraint credit_events_top_up_check check (
    case kind
      when 'top_up_requested' then credits > 0 and idempotency_key is not null
                                   and (outcome is null or outcome in ('granted', 'declined', 'lapsed'))
                                   and (outcome is null) = (resolved_at is null)
      else credits is null and idempotency_key is null and outcome is null and resolved_at is null
    end);
create unique index credit_events_idempotency_key_idx on credits_private.credit_events (idempotency_key)
  where idempotency_key is not null;
comment on column credits_private.credit_events.credits is
  'A top-up request: the credits to buy (up to the target, within the month''s limit).';
comment on column credits_private.credit_events.idempotency_key is
  'A top-up request: the key grant_credits takes once the payment went through.';
comment on column credits_private.credit_events.outcome is
  'A top-up request: granted (grant_credits with its key), declined (decline_top_up) or lapsed (24 hours unanswered); null: open.';

-- Up again after a down: what the down kept comes back.
do $$
begin
  if to_regclass('archive.m0032_top_up_events') is not null then
    insert into credits_private.credit_events
      (id, kind, user_id, balance, threshold, task_id, created_at, attempts, claimed_until, done_at,
       credits, idempotency_key, outcome, resolved_at)
    overriding system value
    select id, kind, user_id, balance, threshold, task_id, created_at, attempts, claimed_until, done_at,
           credits, idempotency_key, outcome, resolved_at
      from archive.m0032_top_up_events order by id;
    insert into credits_private.auto_top_ups select * from archive.m0032_auto_top_ups;
    update public.user_credits uc set auto_top_up_threshold = a.threshold
      from credits_private.auto_top_ups a where a.user_id = uc.user_id;
    drop table archive.m0032_top_up_events, archive.m0032_auto_top_ups;
  end if;
end;
$$;

-- Down Migration
-- The deploy drops every definition before migrations run down. The settings and the top-up
-- requests (with their ids: consumers deduplicate by event_id) are kept in archive and come back
-- with the next up; the outbox keeps its low-balance events.
create schema if not exists archive;
drop table if exists archive.m0032_top_up_events, archive.m0032_auto_top_ups;
create table archive.m0032_top_up_events as
  select * from credits_private.credit_events where kind = 'top_up_requested';
create table archive.m0032_auto_top_ups as select * from credits_private.auto_top_ups;
delete from credits_private.credit_events where kind = 'top_up_requested';
drop index credits_private.credit_events_idempotency_key_idx;
alter table credits_private.credit_events
  drop constraint credit_events_top_up_check,
  drop constraint credit_events_kind_check,
  add constraint credit_events_kind_check check (kind in ('low_balance')),
  drop column credits,
  drop column idempotency_key,
  drop column outcome,
  drop column resolved_at;
drop table credits_private.auto_top_ups;
alter table public.user_credits drop column auto_top_up_threshold;
