-- expire_promotional_credits: the promotional lots' expiry job. Locks at most p_limit accounts
-- that hold a lot whose expiry has passed, in user order, SKIP LOCKED (an account being charged
-- is skipped: its charge expires its own lots first, or a later run takes it; skipped accounts do
-- not count against p_limit), and expires every due lot of those accounts: what remains of each
-- leaves the balance as one 'expiration' row, and an expiry that takes a balance below its
-- low-balance threshold writes the low-balance event (credits_private.expire_promotional_credits_of).
-- Two schedulers share the work and never expire a lot twice; no run waits for a lock, so none
-- deadlocks with the charges, the sweeper or the allocation. Schedule it every minute and call it
-- again while it returns lots > 0 (0: nothing is due but on accounts locked right now); balance
-- reads already leave a lot out once its expiry has passed.
-- Result: lots (how many it closed, spent ones included), accounts (how many lost credits),
-- credits_expired. p_limit counts accounts.
-- Errors: CR003 when p_limit is outside 1..100000.
-- Never null: lots, accounts, credits_expired.
-- SECURITY DEFINER: the service role calls it without any privilege on the tables.
create or replace function public.expire_promotional_credits(
  p_limit integer default 1000,
  out lots integer,
  out accounts integer,
  out credits_expired bigint
)
language plpgsql
volatile
security definer
set search_path to pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_users uuid[];
begin
  if p_limit is null or p_limit not between 1 and 100000 then
    raise exception using errcode = 'CR003',
      message = 'p_limit must be between 1 and 100000',
      detail = format('p_limit was %s.', coalesce(p_limit::text, 'null')),
      hint = 'Expire in batches; call again while lots > 0.';
  end if;

  -- The accounts first, then their lots: every writer of lots holds the account's lock first.
  -- LIMIT applies to the rows locked, so accounts skipped do not use up the batch.
  select array_agg(uc.user_id order by uc.user_id) into v_users
    from (select uc.user_id from public.user_credits uc
           where uc.user_id in (select l.user_id from credits_private.promotional_lots l
                                 where l.expired_at is null and l.expires_at <= now())
           order by uc.user_id
           limit p_limit
             for update skip locked) uc;
  select e.lots, e.accounts, e.credits_expired into lots, accounts, credits_expired
    from credits_private.expire_promotional_credits_of(coalesce(v_users, '{}'), true) e;
end;
$$;

comment on function public.expire_promotional_credits(integer) is
  'Expires the promotional lots whose date has passed (an expiration row each); safe to run concurrently.';
revoke all on function public.expire_promotional_credits(integer) from public, anon, authenticated;
grant execute on function public.expire_promotional_credits(integer) to credits_service;
