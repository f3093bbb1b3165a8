-- expire_promotional_lots: closes the lots of the given accounts whose expiry has passed: what
-- remains of each leaves the promotional bucket as one 'expiration' row (its promotional_amount
-- the whole amount), and the lot is marked expired (expired_at), so it is never expired twice. A
-- lot spent to nothing is only marked. The rows have no period_start: a lot expires on its own
-- date, not with a period (and a period's one expiration of monthly credits stays unique, by
-- credit_transactions_user_id_period_start_type_key). Callers: start_generation (the account's charge, before it
-- spends: lazy expiry) and expire_promotional_credits (the job).
-- The caller must hold the accounts' row locks (FOR UPDATE): every writer of an account's lots
-- locks the account first, so the lots read here are the ones written.
-- Result: lots (how many it closed), accounts (how many lost credits), credits_expired.
create or replace function credits_private.expire_promotional_lots(
  p_user_ids uuid[],
  out lots integer,
  out accounts integer,
  out credits_expired bigint
)
language plpgsql
volatile
set search_path to pg_catalog, pg_temp
as $$
#variable_conflict use_column
begin
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
    select c.user_id, sum(c.remaining) as credits from closed c where c.remaining > 0 group by c.user_id
  ), debited as (
    update public.user_credits uc
       set promotional_credits = uc.promotional_credits - lost.credits, credits = uc.credits - lost.credits,
           updated_at = now()
      from lost
     where uc.user_id = lost.user_id
    returning uc.user_id, uc.credits, lost.credits as lost
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
  select (select count(*) from closed)::integer, count(*)::integer, coalesce(sum(d.lost), 0)::bigint
    into lots, accounts, credits_expired
    from debited d;
end;
$$;

comment on function credits_private.expire_promotional_lots(uuid[]) is
  'Expires the lots of the given (locked) accounts whose date has passed: an expiration row each.';
revoke all on function credits_private.expire_promotional_lots(uuid[]) from public;
