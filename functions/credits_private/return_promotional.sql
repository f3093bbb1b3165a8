-- return_promotional: gives a refunded charge's promotional credits back to the lots they came
-- from (promotional_spends), those still live: not expired and not past their expiry. What came
-- from a lot expired meanwhile is not returned here: fail_and_refund pays it back as purchased
-- credits (nothing is lost at an expiry, contract §10).
-- It locks the account first (every writer of an account's lots holds its lock: no lot is
-- locked in another order); the caller updates the account's buckets. Called by fail_and_refund.
-- Result: the credits returned to live lots (0 without an account).
create or replace function credits_private.return_promotional(p_user_id uuid, p_task_id uuid)
returns bigint
language plpgsql
volatile
set search_path to pg_catalog, pg_temp
as $$
declare
  v_returned bigint;
begin
  perform 1 from public.user_credits uc where uc.user_id = p_user_id for update;
  if not found then
    return 0::bigint;
  end if;
  with returned as (
    update credits_private.promotional_lots l
       set remaining = l.remaining + s.credits
      from credits_private.promotional_spends s
     where s.task_id = p_task_id and l.id = s.lot_id and l.expired_at is null and l.expires_at > now()
    returning s.credits
  )
  select coalesce(sum(r.credits), 0)::bigint into v_returned from returned r;
  return v_returned;
end;
$$;

comment on function credits_private.return_promotional(uuid, uuid) is
  'Returns a refunded charge''s promotional credits to the lots still live that they came from.';
revoke all on function credits_private.return_promotional(uuid, uuid) from public;
