-- void_promotional_grant: voids a promotional grant (contract §13), e.g. a promotion that was
-- abused: what is left of it expires now (one 'expiration' row with p_reason), the charges
-- already made from it stay, and a later refund of such a charge is not given back: its credits
-- expire at once (an 'expiration' row), unlike a refund to a grant that simply reached its date
-- (contract §10: back as purchased credits). A grant already expired can be voided too (nothing
-- left to expire; its refunds stop coming back). Voiding it again changes nothing:
-- outcome 'already_voided'. The lot is the grant's lot_id (grant_promotional_credits).
-- Result: lot_id, expired_credits (what expired now: 0 when already voided or spent), balance
-- (the account's afterwards), outcome ('voided', 'already_voided').
-- Errors: CR002 no account, CR003 invalid argument (null user or lot, no such grant of this
-- account, blank reason).
-- Never null: lot_id, expired_credits, balance, outcome.
-- SECURITY DEFINER: the service role calls it without any privilege on the tables.
create or replace function public.void_promotional_grant(
  p_user_id uuid,
  p_lot_id bigint,
  p_reason text,
  out lot_id bigint,
  out expired_credits bigint,
  out balance bigint,
  out outcome text
)
language plpgsql
volatile
security definer
set search_path to pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_lot credits_private.promotional_lots;
  v_threshold integer;
begin
  perform credits_private.require_present('p_user_id', p_user_id);
  perform credits_private.require_present('p_lot_id', p_lot_id);
  perform credits_private.require_text('p_reason', p_reason, 1000);
  perform credits_private.lock_account(p_user_id); -- every writer of an account's lots holds its lock

  select * into v_lot from credits_private.promotional_lots l where l.id = p_lot_id and l.user_id = p_user_id for update;
  if not found then
    raise exception using errcode = 'CR003',
      message = 'no such promotional grant on this account',
      detail = format('p_lot_id was %s, p_user_id %s.', p_lot_id, p_user_id),
      hint = 'Pass the lot_id grant_promotional_credits returned for this account.';
  end if;
  lot_id := v_lot.id;
  expired_credits := 0::bigint;
  if v_lot.voided_at is not null then
    outcome := 'already_voided';
    select uc.credits into balance from public.user_credits uc where uc.user_id = p_user_id;
    return;
  end if;

  update credits_private.promotional_lots l
     set remaining = 0, expired_at = coalesce(l.expired_at, now()), voided_at = now(), void_reason = p_reason
   where l.id = p_lot_id;
  if v_lot.expired_at is null and v_lot.remaining > 0 then
    expired_credits := v_lot.remaining;
    update public.user_credits uc
       set promotional_credits = uc.promotional_credits - expired_credits, credits = uc.credits - expired_credits,
           updated_at = now()
     where uc.user_id = p_user_id
    returning uc.credits, uc.low_balance_threshold into balance, v_threshold;
    insert into public.credit_transactions
      (user_id, amount, promotional_amount, type, description, balance_after)
    values (p_user_id, -expired_credits, -expired_credits, 'expiration',
            format('promotional grant voided: %s of %s (%s), lot %s', expired_credits, v_lot.granted, p_reason, v_lot.id),
            balance);
    if balance < v_threshold and balance + expired_credits >= v_threshold then
      perform credits_private.record_low_balance(p_user_id, balance, v_threshold, null);
    end if;
  else
    select uc.credits into balance from public.user_credits uc where uc.user_id = p_user_id;
  end if;
  outcome := 'voided';
end;
$$;

comment on function public.void_promotional_grant(uuid, bigint, text) is
  'Voids a promotional grant: what is left expires now, and later refunds to it expire at once.';
revoke all on function public.void_promotional_grant(uuid, bigint, text) from public, anon, authenticated;
grant execute on function public.void_promotional_grant(uuid, bigint, text) to credits_service;
