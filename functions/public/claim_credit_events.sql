-- claim_credit_events: hands a consumer up to p_limit credit events not yet done:
-- 'low_balance', written when a charge, or the expiry of promotional credits, takes a balance
-- from at or above the account's threshold to below; 'top_up_requested', when a charge takes it
-- below its automatic top-up threshold (set_auto_top_up): buy its credits (charge the saved card),
-- then grant_credits with its idempotency_key, or decline_top_up when the payment failed;
-- oldest first, of the kinds p_kinds names (null: every kind: a payment worker and an email
-- worker may each take their own), each leased for p_lease: a consumer running at the same time gets other events
-- (rows locked by a concurrent claim are skipped), and an event whose consumer died is handed out
-- again once its lease has passed. Mark each one done with complete_credit_events after acting on
-- it (an email sent, a paywall shown): delivery is at least once, so act idempotently by event_id.
-- An event is what happened at its charge or expiry: a refund or a grant since may have lifted
-- the balance again (an event is never withdrawn), so read the balance (get_credit_balance)
-- before acting. LISTEN credit_events to hear of new ones as their transaction commits.
-- A top-up request that is no longer open is never handed out, since nothing is left to buy:
-- one already granted or declined, or unanswered for 24 hours (its outcome becomes 'lapsed': the
-- account's next crossing may ask again; its key still grants what a late payment bought). Each
-- call marks those done.
-- Result: event_id, kind, user_id, balance (after the charge or expiry), threshold (the one
-- crossed), task_id (the charge; null for an expiry by expire_promotional_credits or a
-- revocation), created_at, attempts (how many times it has been handed out, this one included),
-- credits and idempotency_key (a top-up request's: the credits to buy, the key to grant them
-- with; null for a low-balance event).
-- Errors: CR003 invalid argument (p_limit outside 1..1000, p_lease under 1 second, over 1 hour or
-- infinite, p_kinds empty or naming another kind than low_balance and top_up_requested).
-- Never null: event_id, kind, user_id, balance, threshold, created_at, attempts.
-- SECURITY DEFINER: the service role consumes the outbox without any privilege on it.
create or replace function public.claim_credit_events(
  p_limit integer default 100,
  p_lease interval default '5 minutes',
  p_kinds text[] default null
)
returns table (
  event_id bigint,
  kind text,
  user_id uuid,
  balance bigint,
  threshold integer,
  task_id uuid,
  created_at timestamptz,
  attempts integer,
  credits integer,
  idempotency_key text
)
language plpgsql
volatile
security definer
set search_path to pg_catalog, pg_temp
as $$
begin
  if p_limit is null or p_limit not between 1 and 1000 then
    raise exception using errcode = 'CR003',
      message = 'p_limit must be between 1 and 1000',
      detail = format('p_limit was %s.', coalesce(p_limit::text, 'null')),
      hint = 'Claim events in batches; call again while rows come back.';
  end if;
  perform credits_private.require_interval('p_lease', p_lease, interval '1 second', interval '1 hour', '1 second and 1 hour');
  if p_kinds is not null and (cardinality(p_kinds) = 0 or not p_kinds <@ array['low_balance', 'top_up_requested']) then
    raise exception using errcode = 'CR003',
      message = 'p_kinds must name low_balance or top_up_requested, or be null',
      detail = format('p_kinds was %s.', p_kinds),
      hint = 'Pass null for every kind, or e.g. {top_up_requested} for a payment worker.';
  end if;
  -- top-up requests no longer open: closed (lapsed if unanswered), not handed out
  with closed as (
    select e.id from credits_private.credit_events e
     where e.done_at is null and e.kind = 'top_up_requested'
       and (e.outcome is not null or e.created_at <= now() - interval '24 hours')
       and (e.claimed_until is null or e.claimed_until < now())
       for update skip locked
  )
  update credits_private.credit_events e
     set done_at = now(), claimed_until = null,
         outcome = coalesce(e.outcome, 'lapsed'), resolved_at = coalesce(e.resolved_at, now())
    from closed
   where e.id = closed.id;
  return query
    with claimable as (
      select e.id from credits_private.credit_events e
       where e.done_at is null and (e.claimed_until is null or e.claimed_until < now())
         and (p_kinds is null or e.kind = any(p_kinds))
       order by e.id
       limit p_limit
         for update skip locked
    )
    , claimed as (
      update credits_private.credit_events e
         set claimed_until = now() + p_lease, attempts = e.attempts + 1
        from claimable
       where e.id = claimable.id
      returning e.id, e.kind, e.user_id, e.balance, e.threshold, e.task_id, e.created_at, e.attempts,
                e.credits, e.idempotency_key
    )
    select * from claimed order by claimed.id;
end;
$$;

comment on function public.claim_credit_events(integer, interval, text[]) is
  'Leases up to p_limit credit events not yet done (low balance, top-up requests) to this consumer, oldest first.';
revoke all on function public.claim_credit_events(integer, interval, text[]) from public, anon, authenticated;
grant execute on function public.claim_credit_events(integer, interval, text[]) to credits_service;
