-- refund_received: what fail_and_refund does after a refund or settlement reached an account's
-- buckets, when the account was at 0 (it may be in debt) or credits went back to promotional lots
-- (one may be voided): the rest of the refunds pay one comparison and never come here.
-- 1. Credits that went back to a voided grant expire at once (contract §13): an 'expiration' row
--    per lot, not given back as purchased credits (as a grant that simply reached its date does).
-- 2. An account in debt repays it first from the rest, taken as a charge spends: promotional
--    credits first (the lot expiring soonest first), then monthly, then purchased. An account at
--    0 held nothing before, so its buckets hold exactly what just came in.
-- Arguments: the refund's credits and its monthly and promotional parts as the buckets got them,
-- and the account's balance after them (p_balance).
-- Result: debt_repaid, monthly_repaid, promotional_repaid (the refund row's debt part and what
-- it takes off the row's bucket parts), balance_after_refund (the refund row's balance_after)
-- and balance (after the voided credits expired too).
-- The caller holds the account's row lock.
create or replace function credits_private.refund_received(
  p_user_id uuid,
  p_credits bigint,
  p_monthly bigint,
  p_promotional bigint,
  p_balance bigint,
  out debt_repaid bigint,
  out monthly_repaid bigint,
  out promotional_repaid bigint,
  out balance_after_refund bigint,
  out balance bigint
)
language plpgsql
volatile
set search_path to pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_voided bigint := 0::bigint;
begin
  debt_repaid := 0::bigint;
  monthly_repaid := 0::bigint;
  promotional_repaid := 0::bigint;
  balance := p_balance;
  if p_promotional > 0 then
    select coalesce(sum(l.remaining), 0)::bigint into v_voided
      from credits_private.promotional_lots l
     where l.user_id = p_user_id and l.voided_at is not null and l.remaining > 0;
  end if;
  if p_balance = p_credits then
    debt_repaid := credits_private.repay_debt(p_user_id, p_credits - v_voided);
    if debt_repaid > 0 then
      promotional_repaid := credits_private.spend_promotional(p_user_id, null, least(debt_repaid, p_promotional - v_voided));
      monthly_repaid := least(debt_repaid - promotional_repaid, p_monthly);
      update public.user_credits uc
         set promotional_credits = uc.promotional_credits - promotional_repaid,
             monthly_credits = uc.monthly_credits - monthly_repaid,
             purchased_credits = uc.purchased_credits - (debt_repaid - promotional_repaid - monthly_repaid),
             credits = uc.credits - debt_repaid, updated_at = now()
       where uc.user_id = p_user_id
      returning uc.credits into balance;
    end if;
  end if;
  balance_after_refund := balance;
  if v_voided > 0 then
    with due as (
      select l.id, l.remaining as credits, l.granted, l.void_reason
        from credits_private.promotional_lots l
       where l.user_id = p_user_id and l.voided_at is not null and l.remaining > 0
    ), expired as (
      update credits_private.promotional_lots l
         set remaining = 0
        from due
       where l.id = due.id
      returning due.*
    ), debited as (
      update public.user_credits uc
         set promotional_credits = uc.promotional_credits - v_voided, credits = uc.credits - v_voided, updated_at = now()
       where uc.user_id = p_user_id
      returning uc.credits
    ), written as (
      -- one row per lot; each row's balance is the account's after it
      insert into public.credit_transactions
        (user_id, amount, promotional_amount, type, description, balance_after)
      select p_user_id, -e.credits, -e.credits, 'expiration',
             format('refund to a voided promotional grant expired: %s of %s (%s), lot %s', e.credits, e.granted, e.void_reason, e.id),
             balance_after_refund - sum(e.credits) over (order by e.id)
        from expired e
    )
    select d.credits into balance from debited d;
  end if;
end;
$$;

comment on function credits_private.refund_received(uuid, bigint, bigint, bigint, bigint) is
  'After a refund: expires what went back to voided grants, and repays the account''s debt first.';
revoke all on function credits_private.refund_received(uuid, bigint, bigint, bigint, bigint) from public;
