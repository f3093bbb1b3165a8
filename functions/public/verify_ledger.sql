-- verify_ledger: checks the invariants of contract §5 over the whole ledger and returns one row
-- per violation (no rows: the ledger is sound). It reads every ledger row: run it from
-- monitoring jobs, not per request.
--   balance_mismatch       credits <> monthly + purchased + promotional, or credits - debt or a
--                          bucket differs from the sum of the account's ledger rows (contract §13:
--                          credits - debt_credits = Σ amount)
--   negative_balance       a balance, bucket, debt or usage counter below zero
--   debt_mismatch          an account's debt differs from what its rows' debt parts created less
--                          what they repaid (-Σ debt_amount), or it is in debt while holding
--                          credits (every credit that comes in repays debt first), or a row's
--                          debt part is not within its amount (of its sign, at most all of it)
--   promotional_mismatch   promotional credits differ from what the account's live lots hold,
--                          or an expired lot still holds credits
--   promotional_spend_mismatch
--                          a charge's promotional part differs from the lots it spent, its
--                          refund gave back more promotional credits than it took, it spent a
--                          lot of another account, or a spend belongs to no charge
--   ledger_without_account ledger rows whose user has no account
--   duplicate_charge       a task with more than one 'usage' row
--   duplicate_refund       a task with more than one 'refund' row
--   refund_not_failed      a refunded task that is not 'failed', unless the refund is the
--                          settlement of a completed task (contract §11); a settlement on a
--                          failed task
--   missing_refund         a failed task charged through start_generation with no refund
--   refund_mismatch        a failed task charged through start_generation whose refund is not
--                          its whole charge
--   settlement_mismatch    a completed task charged through start_generation whose refund is not
--                          its charge less credits_final (credits_settled_back), or that has a
--                          refund although it used its whole hold; credits_settled_back on a
--                          task not completed, or outside 1..its credits_used
--   charge_mismatch        a task charged by start_generation for other than its credits_used
--   team_mismatch          a team's generation (contract §12) charged or refunded to another
--                          account than its team, or whose rows name another member than its
--                          user; rows naming a member on an account that is no team
-- Failures inherited from before adoption are not violations: monitoring.missing_refunds lists
-- them until backfill_missing_refunds repays them.
-- Never null: invariant, detail.
-- SECURITY DEFINER: analysts verify the ledger without reading the raw tables.
create or replace function public.verify_ledger()
returns table (invariant text, user_id uuid, task_id uuid, detail text)
language sql
stable
security definer
set search_path to pg_catalog, pg_temp
as $$
  with sums as (
    select c.user_id, sum(c.amount) as total, sum(c.monthly_amount) as monthly, sum(c.promotional_amount) as promotional,
           coalesce(-sum(c.debt_amount), 0) as debt, count(c.member_id) as member_rows,
           count(*) filter (where c.debt_amount not between least(c.amount, 0) and greatest(c.amount, 0)) as stray_debt_parts
      from public.credit_transactions c
     group by c.user_id
  ), charges as (
    select c.task_id, count(*) filter (where c.type = 'usage') as usages,
           count(*) filter (where c.type = 'refund') as refunds,
           count(*) filter (where c.type = 'refund' and c.origin = 'settlement') as settlements,
           sum(c.amount) filter (where c.type = 'refund') as refunded,
           sum(-c.amount) filter (where c.type = 'usage') as charged,
           sum(-c.promotional_amount) filter (where c.type = 'usage') as promotional_charged,
           sum(c.promotional_amount) filter (where c.type = 'refund') as promotional_refunded
      from public.credit_transactions c
     where c.task_id is not null and c.type in ('usage', 'refund')
     group by c.task_id
  ), lots as (
    select l.user_id, sum(l.remaining) as remaining
      from credits_private.promotional_lots l
     where l.expired_at is null
     group by l.user_id
  ), spends as (
    select s.task_id, sum(s.credits) as credits from credits_private.promotional_spends s group by s.task_id
  ), foreign_spends as (
    select s.task_id, coalesce(t.account_id, t.user_id) as user_id, l.user_id as lot_user_id, s.lot_id
      from credits_private.promotional_spends s
      join credits_private.promotional_lots l on l.id = s.lot_id
      join public.enhancement_tasks t on t.id = s.task_id
     where l.user_id <> coalesce(t.account_id, t.user_id)
  )
  select 'balance_mismatch', uc.user_id, null::uuid,
         format('credits %s, monthly %s + purchased %s + promotional %s, debt %s; ledger sums to %s (monthly %s, promotional %s)',
                uc.credits, uc.monthly_credits, uc.purchased_credits, uc.promotional_credits, coalesce(d.debt_credits, 0),
                coalesce(s.total, 0), coalesce(s.monthly, 0), coalesce(s.promotional, 0))
    from public.user_credits uc
    left join sums s on s.user_id = uc.user_id
    left join credits_private.account_debts d on d.user_id = uc.user_id
   where uc.credits - coalesce(d.debt_credits, 0) <> coalesce(s.total, 0)
      or uc.monthly_credits <> coalesce(s.monthly, 0)
      or uc.promotional_credits <> coalesce(s.promotional, 0)
      or uc.credits <> uc.monthly_credits + uc.purchased_credits + uc.promotional_credits
  union all
  select 'negative_balance', uc.user_id, null,
         format('credits %s, monthly %s, purchased %s, promotional %s, debt %s, used this month %s',
                uc.credits, uc.monthly_credits, uc.purchased_credits, uc.promotional_credits, coalesce(d.debt_credits, 0),
                uc.credits_used_this_month)
    from public.user_credits uc
    left join credits_private.account_debts d on d.user_id = uc.user_id
   where least(uc.credits, uc.monthly_credits, uc.purchased_credits, uc.promotional_credits, uc.credits_used_this_month,
               d.debt_credits) < 0
  union all
  select 'debt_mismatch', uc.user_id, null,
         format('debt %s, credits %s; the ledger''s debt parts sum to %s', coalesce(d.debt_credits, 0), uc.credits,
                coalesce(s.debt, 0))
    from public.user_credits uc
    left join sums s on s.user_id = uc.user_id
    left join credits_private.account_debts d on d.user_id = uc.user_id
   where coalesce(d.debt_credits, 0) <> coalesce(s.debt, 0)
      or coalesce(d.debt_credits, 0) > 0 and uc.credits > 0
  union all
  select 'debt_mismatch', s.user_id, null, format('%s ledger rows whose debt part is not within their amount', s.stray_debt_parts)
    from sums s
   where s.stray_debt_parts > 0
  union all
  select 'promotional_mismatch', uc.user_id, null,
         format('promotional credits %s; the live lots hold %s', uc.promotional_credits, coalesce(l.remaining, 0))
    from public.user_credits uc
    left join lots l on l.user_id = uc.user_id
   where uc.promotional_credits <> coalesce(l.remaining, 0)
  union all
  select 'promotional_mismatch', l.user_id, null, format('lot %s expired at %s with %s credits left', l.id, l.expired_at, l.remaining)
    from credits_private.promotional_lots l
   where l.expired_at is not null and l.remaining <> 0
  union all
  select 'promotional_spend_mismatch', f.user_id, f.task_id, format('spent lot %s of account %s', f.lot_id, f.lot_user_id)
    from foreign_spends f
  union all
  select 'promotional_spend_mismatch', null, sp.task_id, format('%s credits spent from lots by no charge', sp.credits)
    from spends sp
   where not exists (select 1 from charges ch where ch.task_id = sp.task_id and ch.usages > 0)
  union all
  select 'promotional_spend_mismatch', t.user_id, ch.task_id,
         format('charged %s promotional credits, spent %s from lots, refunded %s to lots',
                coalesce(ch.promotional_charged, 0), coalesce(sp.credits, 0), coalesce(ch.promotional_refunded, 0))
    from charges ch
    left join spends sp on sp.task_id = ch.task_id
    join public.enhancement_tasks t on t.id = ch.task_id
   where coalesce(ch.promotional_charged, 0) <> coalesce(sp.credits, 0)
      or coalesce(ch.promotional_refunded, 0) > coalesce(ch.promotional_charged, 0)
  union all
  select 'ledger_without_account', s.user_id, null, format('ledger rows sum to %s', s.total)
    from sums s
   where not exists (select 1 from public.user_credits uc where uc.user_id = s.user_id)
  union all
  select 'duplicate_charge', null, ch.task_id, format('%s usage rows', ch.usages)
    from charges ch where ch.usages > 1
  union all
  select 'duplicate_refund', null, ch.task_id, format('%s refund rows', ch.refunds)
    from charges ch where ch.refunds > 1
  union all
  select 'refund_not_failed', t.user_id, t.id,
         format('task is %s but was refunded%s', t.status, case when ch.settlements > 0 then ' by a settlement' else '' end)
    from charges ch join public.enhancement_tasks t on t.id = ch.task_id
   where ch.refunds > 0 and t.status <> 'failed' and not (t.status = 'completed' and ch.settlements = ch.refunds)
      or ch.settlements > 0 and t.status = 'failed'
  union all
  select 'refund_mismatch', t.user_id, t.id, format('failed task charged %s credits, refunded %s', ch.charged, ch.refunded)
    from charges ch join public.enhancement_tasks t on t.id = ch.task_id
   where t.origin = 'rpc' and t.status = 'failed' and ch.refunds > 0 and ch.refunded <> ch.charged
  union all
  select 'settlement_mismatch', t.user_id, t.id,
         format('completed task charged %s credits, settled at %s, refunded %s',
                ch.charged, t.credits_used - coalesce(t.credits_settled_back, 0), coalesce(ch.refunded, 0))
    from charges ch join public.enhancement_tasks t on t.id = ch.task_id
   where t.origin = 'rpc' and t.status = 'completed' and ch.usages > 0
     and coalesce(ch.refunded, 0) <> coalesce(t.credits_settled_back, 0)
  union all
  select 'settlement_mismatch', t.user_id, t.id, format('task is %s but says %s credits were settled back', t.status, t.credits_settled_back)
    from public.enhancement_tasks t
   where t.credits_settled_back is not null and (t.status <> 'completed' or t.credits_settled_back not between 1 and t.credits_used)
  union all
  select 'missing_refund', t.user_id, t.id, format('failed task charged %s credits, never refunded', ch.charged)
    from charges ch join public.enhancement_tasks t on t.id = ch.task_id
   where t.origin = 'rpc' and t.status = 'failed' and ch.charged > 0 and ch.refunds = 0
  union all
  select 'charge_mismatch', t.user_id, t.id,
         format('credits_used %s but charged %s', t.credits_used, ch.charged)
    from charges ch join public.enhancement_tasks t on t.id = ch.task_id
   where t.origin = 'rpc' and ch.usages > 0 and ch.charged <> t.credits_used
  union all
  select 'team_mismatch', t.user_id, t.id,
         format('a %s row of %s naming %s; the task is %s''s, paid by team %s', c.type, c.user_id, c.member_id, t.user_id, t.account_id)
    from public.enhancement_tasks t
    join public.credit_transactions c on c.task_id = t.id and c.type in ('usage', 'refund')
   where t.account_id is not null and (c.user_id <> t.account_id or c.member_id is distinct from t.user_id)
  union all
  select 'team_mismatch', s.user_id, null, format('%s ledger rows name a member of an account that is no team', s.member_rows)
    from sums s
   where s.member_rows > 0 and not exists (select 1 from credits_private.teams tm where tm.team_id = s.user_id)
$$;

comment on function public.verify_ledger() is
  'One row per violated ledger invariant (contract §5); no rows when the ledger is sound.';
revoke all on function public.verify_ledger() from public, anon, authenticated;
grant execute on function public.verify_ledger() to credits_service, credits_analyst;
