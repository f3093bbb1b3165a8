-- grant_promotional_credits: adds promotional credits that expire on their own date ("50 credits,
-- valid 7 days", contract §10): one lot (credits_private.promotional_lots) and its ledger row,
-- an 'adjustment' (the contract's type for every other grant) whose promotional_amount is its
-- amount, with the reason and the expiry. Charges spend promotional credits first, the lot that
-- expires soonest first; at p_valid_for after the grant what is left of the lot expires
-- (expire_promotional_credits, or the account's next charge: an 'expiration' row). A refund
-- returns a charge's credits to their lot while it is live, as purchased credits once it has
-- expired. An account in debt repays it first (contract §13): the lot holds the rest. The
-- expiry is computed in UTC (a month is a calendar month in UTC, whatever the
-- session's TimeZone). The idempotency key is required (the campaign's or the payment's id for
-- this user): the same key again returns the first grant (replayed = true) and adds nothing;
-- with another amount, validity, reason or label it is refused. Keys are apart from grant_credits'
-- keys. p_label: what end users see of the grant (promotional_grants, my_promotional_grants; null:
-- none); p_reason stays internal (the ledger's description).
-- Result: transaction_id (the grant's ledger row), lot_id, expires_at, balance (total
-- afterwards; on a replay, the total the first call left), replayed.
-- Errors: CR002 no account, CR003 invalid argument (null user, p_credits outside
-- 1..100,000,000, an expiry less than 1 minute or more than 366 days ahead, blank reason or
-- key, a blank or over 200-character label), CR006 the key was used with another amount,
-- validity, reason or label.
-- Null arguments: p_label.
-- Never null: transaction_id, lot_id, expires_at, balance, replayed.
-- SECURITY DEFINER: the service role calls it without any privilege on the tables.
create or replace function public.grant_promotional_credits(
  p_user_id uuid,
  p_credits integer,
  p_valid_for interval,
  p_reason text,
  p_idempotency_key text,
  p_label text default null,
  out transaction_id uuid,
  out lot_id bigint,
  out expires_at timestamptz,
  out balance bigint,
  out replayed boolean
)
language plpgsql
volatile
security definer
set search_path to pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_first credits_private.promotional_lots;
  v_period date;
  v_repaid bigint;
begin
  perform credits_private.require_present('p_user_id', p_user_id);
  perform credits_private.require_credits('p_credits', p_credits, 100000000);
  -- An infinite or absurd interval first (its expiry could not be computed), then the expiry
  -- itself, not the interval: '1 month -29 days' compares as 1 day but lands in the past on the
  -- 1st of March. Both bounds are computed in UTC, as the expiry is (a session's daylight-saving
  -- change would otherwise move the upper one by an hour).
  perform credits_private.require_interval('p_valid_for', p_valid_for, interval '-367 days', interval '367 days',
                                          '1 minute and 366 days');
  expires_at := ((now() at time zone 'UTC') + p_valid_for) at time zone 'UTC';
  if expires_at is null or expires_at < now() + interval '1 minute'
     or expires_at > ((now() at time zone 'UTC') + interval '366 days') at time zone 'UTC' then
    raise exception using errcode = 'CR003',
      message = 'p_valid_for must be between 1 minute and 366 days',
      detail = format('p_valid_for was %s: the credits would expire at %s.', coalesce(p_valid_for::text, 'null'),
                      coalesce(expires_at::text, 'no time')),
      hint = 'Pass how long the credits stay valid, e.g. ''7 days''.';
  end if;
  perform credits_private.require_text('p_reason', p_reason, 1000);
  perform credits_private.require_text('p_idempotency_key', p_idempotency_key, 200);
  if p_label is not null then
    perform credits_private.require_text('p_label', p_label, 200);
  end if;

  -- The account locked (a concurrent call with the same key waits here, then replays), and
  -- rolled over into the current month if its first write of it.
  perform credits_private.lock_account(p_user_id);

  select * into v_first from credits_private.promotional_lots l
   where l.user_id = p_user_id and l.idempotency_key = p_idempotency_key;
  if found then
    -- the validity as written: '1 month' and '30 days' are equal intervals, not the same grant
    if (v_first.granted, v_first.valid_for::text, v_first.reason, v_first.label)
       is distinct from (p_credits::bigint, p_valid_for::text, p_reason, p_label) then
      raise exception using errcode = 'CR006',
        message = 'idempotency key reused with different arguments',
        detail = format('Key %L granted %s credits valid %s (%s, label %L); this call asked for %s credits valid %s (%s, label %L).',
                        p_idempotency_key, v_first.granted, v_first.valid_for, v_first.reason, v_first.label,
                        p_credits, p_valid_for, p_reason, p_label),
        hint = 'Use a new key for a new grant.';
    end if;
    select c.id, c.balance_after into transaction_id, balance
      from public.credit_transactions c where c.id = v_first.transaction_id;
    lot_id := v_first.id;
    expires_at := v_first.expires_at;
    replayed := true;
    return;
  end if;

  v_repaid := credits_private.repay_debt(p_user_id, p_credits);
  update public.user_credits uc
     set credits = uc.credits + p_credits - v_repaid, promotional_credits = uc.promotional_credits + p_credits - v_repaid,
         updated_at = now()
   where uc.user_id = p_user_id
  returning uc.credits, uc.period_start into balance, v_period;
  insert into public.credit_transactions
    (user_id, amount, promotional_amount, debt_amount, type, description, balance_after, period_start)
  values (p_user_id, p_credits, p_credits - v_repaid, nullif(v_repaid, 0), 'adjustment',
          format('%s (valid until %s)', p_reason, to_char(expires_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI "UTC"')),
          balance, v_period)
  returning id into transaction_id;
  insert into credits_private.promotional_lots as l
    (user_id, granted, remaining, valid_for, expires_at, reason, idempotency_key, transaction_id, label)
  values (p_user_id, p_credits, p_credits - v_repaid, p_valid_for, expires_at, p_reason, p_idempotency_key, transaction_id,
          p_label)
  returning l.id into lot_id;
  replayed := false;
end;
$$;

comment on function public.grant_promotional_credits(uuid, integer, interval, text, text, text) is
  'Adds promotional credits that expire after p_valid_for, spent before any other; idempotent per key.';
revoke all on function public.grant_promotional_credits(uuid, integer, interval, text, text, text) from public, anon, authenticated;
grant execute on function public.grant_promotional_credits(uuid, integer, interval, text, text, text) to credits_service;
