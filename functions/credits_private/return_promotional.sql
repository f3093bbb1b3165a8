-- return_promotional: gives a refunded charge's promotional credits back to the lots they came
-- from (promotional_spends), those still live: not expired and not past their expiry. What came
-- from a lot expired meanwhile is not returned here: fail_and_refund pays it back as purchased
-- credits (nothing is lost at an expiry, contract §10). A voided grant gets its credits back
-- too, for fail_and_refund to expire them at once (contract §13: they are not given back).
-- p_credits: how many of the charge's promotional credits go back (null: all of them). A
-- settlement gives back the tail of what was spent: the lot expiring last first (the reverse of
-- spend_promotional's order, contract §11), counting the expired lots' share too, which the
-- caller pays back as purchased credits.
-- It locks the account first (every writer of an account's lots holds its lock: no lot is
-- locked in another order); the caller updates the account's buckets. Called by fail_and_refund.
-- Result: the credits returned to live and voided lots (0 without an account).
create or replace function credits_private.return_promotional(p_user_id uuid, p_task_id uuid, p_credits bigint default null)
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
  with spent as (
    -- what goes back to each lot: all it gave, or, latest expiry first, what p_credits leaves
    -- after the spends before it
    select s.lot_id,
           case when p_credits is null then s.credits
                else least(s.credits, greatest(p_credits - coalesce(sum(s.credits) over (
                       order by l.expires_at desc, l.id desc rows between unbounded preceding and 1 preceding), 0), 0)) end as back
      from credits_private.promotional_spends s
      join credits_private.promotional_lots l on l.id = s.lot_id
     where s.task_id = p_task_id
  ), returned as (
    update credits_private.promotional_lots l
       set remaining = l.remaining + s.back
      from spent s
     where l.id = s.lot_id and s.back > 0 and (l.voided_at is not null or l.expired_at is null and l.expires_at > now())
    returning s.back as credits
  )
  select coalesce(sum(r.credits), 0)::bigint into v_returned from returned r;
  return v_returned;
end;
$$;

comment on function credits_private.return_promotional(uuid, uuid, bigint) is
  'Returns a refunded charge''s promotional credits (all, or the last p_credits spent) to the live lots they came from.';
revoke all on function credits_private.return_promotional(uuid, uuid, bigint) from public;
