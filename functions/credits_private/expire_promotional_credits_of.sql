-- expire_promotional_credits_of: closes the lots of the given accounts whose expiry has passed: what
-- remains of each leaves the promotional bucket as one 'expiration' row (its promotional_amount
-- the whole amount), and the lot is marked expired (expired_at), so it is never expired twice. A
-- lot spent to nothing is only marked. The rows have no period_start: a lot expires on its own
-- date, not with a period (and a period's one expiration of monthly credits stays unique, by
-- credit_transactions_user_id_period_start_type_key). With p_record_crossings, an expiry that
-- takes a balance from at or above its low-balance threshold to below writes the low-balance
-- event (record_low_balance, no task): the expiry job. The lazy expiry of a charge passes false:
-- the charge records the crossing, from the balance before the expiry.
-- The caller must hold the accounts' row locks (FOR UPDATE): every writer of an account's lots
-- locks the account first, so the lots read here are the ones written.
-- Result: lots (how many it closed), accounts (how many lost credits), credits_expired.
create or replace function credits_private.expire_promotional_credits_of(
  p_user_ids uuid[],
  p_record_crossings boolean,
  out lots integer,
  out accounts integer,
  out credits_expired bigint
)
language plpgsql
volatile
set search_path to pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_account record;
begin
  lots := 0;
  accounts := 0;
  credits_expired := 0;
  -- one row per account that lost credits (or only had spent lots closed: lost 0)
  for v_account in
    with due as (
      select l.id, l.user_id, l.remaining, l.granted, l.expires_at, l.reason
        from credits_private.promotional_lots l
       where l.user_id = any(p_user_ids) and l.expired_at is null and l.expires_at <= now()
         for update
    ), closed as (
      update credits_private.promotional_lots l
         set remaining = 0, expired_at = now()
        from due
       where l.id = due.id
      returning due.*
    ), lost as (
      select c.user_id, count(*)::integer as lots, sum(c.remaining)::bigint as credits from closed c group by c.user_id
    ), debited as (
      update public.user_credits uc
         set promotional_credits = uc.promotional_credits - lost.credits, credits = uc.credits - lost.credits,
             updated_at = now()
        from lost
       where uc.user_id = lost.user_id and lost.credits > 0
      returning uc.user_id, uc.credits, uc.low_balance_threshold, lost.credits as lost
    ), written as (
      -- one row per lot, soonest first; each row's balance is the account's after it
      insert into public.credit_transactions
        (user_id, amount, promotional_amount, type, description, balance_after, period_start)
      select c.user_id, -c.remaining, -c.remaining, 'expiration',
             format('promotional credits expired: %s of %s (%s), lot %s', c.remaining, c.granted, c.reason, c.id),
             d.credits + d.lost - sum(c.remaining) over (partition by c.user_id order by c.expires_at, c.id),
             null
        from closed c join debited d on d.user_id = c.user_id
       where c.remaining > 0
    )
    select lost.user_id, lost.lots, lost.credits, d.credits as balance, d.low_balance_threshold as threshold
      from lost left join debited d on d.user_id = lost.user_id
  loop
    lots := lots + v_account.lots;
    continue when v_account.credits = 0;
    accounts := accounts + 1;
    credits_expired := credits_expired + v_account.credits;
    if p_record_crossings and v_account.balance < v_account.threshold
       and v_account.balance + v_account.credits >= v_account.threshold then
      perform credits_private.record_low_balance(v_account.user_id, v_account.balance, v_account.threshold, null);
    end if;
  end loop;
end;
$$;

comment on function credits_private.expire_promotional_credits_of(uuid[], boolean) is
  'Expires the lots of the given (locked) accounts whose date has passed: an expiration row each.';
revoke all on function credits_private.expire_promotional_credits_of(uuid[], boolean) from public;
