-- spend_promotional: takes up to p_credits from the account's live promotional lots. A charge
-- (p_task_id its task) spends the soonest expiry first (then the oldest lot) and records what it
-- took from each (promotional_spends), so that its refund returns each credit to its lot; it is
-- called by charge_promotional after its lazy expiry: every live lot is unexpired. Without a task
-- nothing is recorded (contract §13): a debt repaid from a refund takes them in the same order,
-- a revocation (p_latest_first) the lot expiring last first, the reverse of the spending order,
-- as it takes purchased credits first. Voided and expired lots hold nothing to take.
-- The caller holds the account's row lock and updates the account's buckets itself.
-- Result: the credits taken (at most p_credits; less when the lots hold less).
create or replace function credits_private.spend_promotional(
  p_user_id uuid,
  p_task_id uuid,
  p_credits bigint,
  p_latest_first boolean default false
)
returns bigint
language plpgsql
volatile
set search_path to pg_catalog, pg_temp
as $$
declare
  v_left bigint := p_credits;
  v_lot record;
  v_take bigint;
begin
  if p_credits <= 0 then
    return 0::bigint;
  end if;
  for v_lot in
    select l.id, l.remaining from credits_private.promotional_lots l
     where l.user_id = p_user_id and l.expired_at is null and l.remaining > 0
     order by case when p_latest_first then l.expires_at end desc, case when p_latest_first then l.id end desc,
              l.expires_at, l.id
       for update
  loop
    v_take := least(v_lot.remaining, v_left);
    update credits_private.promotional_lots l set remaining = l.remaining - v_take where l.id = v_lot.id;
    if p_task_id is not null then
      insert into credits_private.promotional_spends (task_id, lot_id, credits) values (p_task_id, v_lot.id, v_take);
    end if;
    v_left := v_left - v_take;
    exit when v_left = 0;
  end loop;
  return p_credits - v_left;
end;
$$;

comment on function credits_private.spend_promotional(uuid, uuid, bigint, boolean) is
  'Takes promotional credits from the account''s live lots (a charge: soonest expiry first, spends recorded).';
revoke all on function credits_private.spend_promotional(uuid, uuid, bigint, boolean) from public;
