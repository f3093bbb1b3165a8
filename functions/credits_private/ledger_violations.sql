-- ledger_violations: the proof of the ledger (contract §5, §13), one row per violated invariant,
-- shared by verify_ledger (p_since null: every row, from nothing) and verify_open_period
-- (p_since: the last closing, close_ledger). From a closing, an account's sums are its checkpoint
-- (credits_private.closed_balances) plus its rows since, and the task checks read the tasks the
-- rows since touch, or created since, with all of their rows: what changed, not the whole history.
-- The invariants, and what each finds, are verify_ledger's (its header lists them); the full proof
-- also proves the checkpoints: each is what its account's rows before the last closing (or, for a
-- month edge's, before that edge) add up to.
-- The query is built as text and planned at each call with p_since as a literal, so that the rows
-- since a closing are read through the ledger's created_at index (BRIN), never by a full scan,
-- and the full proof pays for no restriction. From a closing, the task checks read touched_tasks
-- (:tasks): the tasks created since by their created_at, each older task touched looked up by id,
-- never a scan of the tasks (a hash of every task was chosen otherwise, and grew with the
-- history); their rows are the rows since plus an older task's rows before (charge_rows). A
-- lookup by id of each of the day's tasks and its rows read the random leaves of indexes as large
-- as the history, which at 50M rows are not in memory. Each charged task's sums carry its task's
-- columns (charges), so no check joins two CTEs: the planner guesses their row counts, and a
-- guess of a few rows joined two of thousands with a nested loop (half the daily proof's time).
create or replace function credits_private.ledger_violations(p_since timestamptz)
returns setof credits_private.ledger_violation
language plpgsql
stable
set search_path to pg_catalog, pg_temp
as $$
declare
  v_full boolean := p_since is null;
  v_query text := $query$
  with recent as (
    select c.* from public.credit_transactions c where :recent_rows
  ), recent_sums as (
    select c.user_id, sum(c.amount) as total, sum(c.monthly_amount) as monthly, sum(c.promotional_amount) as promotional,
           coalesce(-sum(c.debt_amount), 0) as debt, count(c.member_id) as member_rows,
           count(*) filter (where c.debt_amount not between least(c.amount, 0) and greatest(c.amount, 0)) as stray_debt_parts,
           -- the rows before the last closing, which its checkpoints must add up to (the full proof)
           count(*) filter (where c.created_at < :last_closing) as closed_rows,
           sum(c.amount) filter (where c.created_at < :last_closing) as closed_total,
           sum(c.monthly_amount) filter (where c.created_at < :last_closing) as closed_monthly,
           sum(c.promotional_amount) filter (where c.created_at < :last_closing) as closed_promotional,
           coalesce(-sum(c.debt_amount) filter (where c.created_at < :last_closing), 0) as closed_debt
      from recent c
     group by c.user_id
  ), sums as (
    :sums
  ), month_sums as (
    -- the full proof: each account's sums before each month edge it had rows just before, what
    -- its month-edge checkpoints (credits_private.month_balances) must add up to
    select x.user_id, x.month_end, sum(x.n) over w as n, sum(x.total) over w as total, sum(x.monthly) over w as monthly,
           sum(x.promotional) over w as promotional, sum(x.debt) over w as debt
      from (select c.user_id, (date_trunc('month', c.created_at at time zone 'UTC') + interval '1 month') at time zone 'UTC' as month_end,
                   count(*) as n, sum(c.amount) as total, sum(c.monthly_amount) as monthly,
                   sum(c.promotional_amount) as promotional, coalesce(-sum(c.debt_amount), 0) as debt
              from recent c where :full group by 1, 2) x
    window w as (partition by x.user_id order by x.month_end)
  ), new_tasks as materialized (
    select t.* from public.enhancement_tasks t where :recent_tasks
  ), touched as (
    select c.task_id from recent c where c.task_id is not null
    union
    select t.id from new_tasks t
  ), touched_tasks as materialized (
    -- each task touched since the closing: those created since read by their created_at (the
    -- BRIN range), the older ones the rows since name looked up by id (never a scan of the tasks)
    select t.* from new_tasks t
    union all
    select t.* from (select c.task_id from recent c where c.task_id is not null except select n.id from new_tasks n) x
     cross join lateral (select * from public.enhancement_tasks e where e.id = x.task_id) t
  ), charge_rows as (
    -- the touched tasks' usage and refund rows: those since, and an older task's rows before,
    -- looked up by its id. A task's rows are never older than the task (one transaction writes a
    -- task and its charge, refunds come later), so a task created since has all of its rows since.
    select c.* from recent c where c.task_id is not null and c.type in ('usage', 'refund')
    union all
    select c.* from touched_tasks t
     cross join lateral (select * from public.credit_transactions c
                          where c.task_id = t.id and c.type in ('usage', 'refund') and c.created_at < :since) c
     where t.created_at < :since
  ), charges as (
    -- each charged task's charge and refunds, with its task's columns: no check joins two CTEs
    :charges
  ), lots as (
    select l.user_id, sum(l.remaining) as remaining
      from credits_private.promotional_lots l
     where l.expired_at is null
     group by l.user_id
  ), spends as (
    select s.task_id, sum(s.credits) as credits from credits_private.promotional_spends s where :touched_spends group by s.task_id
  ), foreign_spends as (
    select s.task_id, coalesce(t.account_id, t.user_id) as user_id, l.user_id as lot_user_id, s.lot_id
      from credits_private.promotional_spends s
      join credits_private.promotional_lots l on l.id = s.lot_id
      join :tasks t on t.id = s.task_id
     where l.user_id <> coalesce(t.account_id, t.user_id) and :touched_spends
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
  select 'checkpoint_mismatch', coalesce(b.user_id, r.user_id), null,
         format('checkpoint through %s: %s rows, Σ %s (monthly %s, promotional %s, debt %s); its rows before the last closing: %s, Σ %s (monthly %s, promotional %s, debt %s)',
                b.closed_through, coalesce(b.ledger_rows, 0), coalesce(b.ledger_sum, 0), coalesce(b.monthly_credits, 0),
                coalesce(b.promotional_credits, 0), coalesce(b.debt_credits, 0), coalesce(r.closed_rows, 0), coalesce(r.closed_total, 0),
                coalesce(r.closed_monthly, 0), coalesce(r.closed_promotional, 0), coalesce(r.closed_debt, 0))
    from (select * from credits_private.closed_balances where :full) b
    full join (select * from recent_sums where closed_rows > 0) r on r.user_id = b.user_id
   where (coalesce(b.ledger_rows, 0), coalesce(b.ledger_sum, 0), coalesce(b.monthly_credits, 0), coalesce(b.promotional_credits, 0),
          coalesce(b.debt_credits, 0))
         is distinct from (coalesce(r.closed_rows, 0), coalesce(r.closed_total, 0), coalesce(r.closed_monthly, 0),
                           coalesce(r.closed_promotional, 0), coalesce(r.closed_debt, 0))
  union all
  select 'checkpoint_mismatch', m.user_id, null,
         format('checkpoint at %s: %s rows, Σ %s (monthly %s, promotional %s, debt %s); its rows before it: %s, Σ %s (monthly %s, promotional %s, debt %s)',
                m.at, m.ledger_rows, m.ledger_sum, m.monthly_credits, m.promotional_credits, m.debt_credits, coalesce(r.n, 0),
                coalesce(r.total, 0), coalesce(r.monthly, 0), coalesce(r.promotional, 0), coalesce(r.debt, 0))
    from (select * from credits_private.month_balances where :full) m
    left join month_sums r on r.user_id = m.user_id and r.month_end = m.at
   where (m.ledger_rows, m.ledger_sum, m.monthly_credits, m.promotional_credits, m.debt_credits)
         is distinct from (coalesce(r.n, 0), coalesce(r.total, 0), coalesce(r.monthly, 0), coalesce(r.promotional, 0),
                           coalesce(r.debt, 0))
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
   where l.expired_at is not null and l.remaining <> 0 and :recent_lots
  union all
  select 'promotional_spend_mismatch', f.user_id, f.task_id, format('spent lot %s of account %s', f.lot_id, f.lot_user_id)
    from foreign_spends f
  union all
  select 'promotional_spend_mismatch', null, sp.task_id, format('%s credits spent from lots by no charge', sp.credits)
    from spends sp
   where not exists (select 1 from charges ch where ch.task_id = sp.task_id and ch.usages > 0)
  union all
  select 'promotional_spend_mismatch', ch.task_user_id, ch.task_id,
         format('charged %s promotional credits, spent %s from lots, refunded %s to lots',
                coalesce(ch.promotional_charged, 0), coalesce(sp.credits, 0), coalesce(ch.promotional_refunded, 0))
    from charges ch
    left join spends sp on sp.task_id = ch.task_id
   where ch.has_task and (coalesce(ch.promotional_charged, 0) <> coalesce(sp.credits, 0)
                          or coalesce(ch.promotional_refunded, 0) > coalesce(ch.promotional_charged, 0))
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
  select 'refund_not_failed', ch.task_user_id, ch.task_id,
         format('task is %s but was refunded%s', ch.status, case when ch.settlements > 0 then ' by a settlement' else '' end)
    from charges ch
   where ch.refunds > 0 and ch.status <> 'failed' and not (ch.status = 'completed' and ch.settlements = ch.refunds)
      or ch.settlements > 0 and ch.status = 'failed'
  union all
  select 'refund_mismatch', ch.task_user_id, ch.task_id, format('failed task charged %s credits, refunded %s', ch.charged, ch.refunded)
    from charges ch
   where ch.origin = 'rpc' and ch.status = 'failed' and ch.refunds > 0 and ch.refunded <> ch.charged
  union all
  select 'settlement_mismatch', ch.task_user_id, ch.task_id,
         format('completed task charged %s credits, settled at %s, refunded %s',
                ch.charged, ch.credits_used - coalesce(ch.credits_settled_back, 0), coalesce(ch.refunded, 0))
    from charges ch
   where ch.origin = 'rpc' and ch.status = 'completed' and ch.usages > 0
     and coalesce(ch.refunded, 0) <> coalesce(ch.credits_settled_back, 0)
  union all
  select 'settlement_mismatch', t.user_id, t.id, format('task is %s but says %s credits were settled back', t.status, t.credits_settled_back)
    from :tasks t
   where t.credits_settled_back is not null and (t.status <> 'completed' or t.credits_settled_back not between 1 and t.credits_used)
  union all
  select 'missing_refund', ch.task_user_id, ch.task_id, format('failed task charged %s credits, never refunded', ch.charged)
    from charges ch
   where ch.origin = 'rpc' and ch.status = 'failed' and ch.charged > 0 and ch.refunds = 0
  union all
  select 'charge_mismatch', ch.task_user_id, ch.task_id,
         format('credits_used %s but charged %s', ch.credits_used, ch.charged)
    from charges ch
   where ch.origin = 'rpc' and ch.usages > 0 and ch.charged <> ch.credits_used
  union all
  select 'team_mismatch', t.user_id, t.id,
         format('a %s row of %s naming %s; the task is %s''s, paid by team %s', c.type, c.user_id, c.member_id, t.user_id, t.account_id)
    from :tasks t
    join :task_rows c on c.task_id = t.id and c.type in ('usage', 'refund')
   where t.account_id is not null and (c.user_id <> t.account_id or c.member_id is distinct from t.user_id)
  union all
  select 'team_mismatch', s.user_id, null, format('%s ledger rows name a member of an account that is no team', s.member_rows)
    from sums s
   where s.member_rows > 0 and not exists (select 1 from credits_private.teams tm where tm.team_id = s.user_id)
  $query$;
  v_since text := quote_literal(p_since) || '::timestamptz';
  v_last text := coalesce(quote_literal((select max(c.closed_through) from credits_private.ledger_closings c)) || '::timestamptz',
                          'null::timestamptz');
begin
  -- the full proof: every row, no checkpoint, every task; from a closing: the rows since, the
  -- checkpoints, the tasks touched since
  v_query := replace(v_query, ':last_closing', v_last);
  v_query := replace(v_query, ':full', case when v_full then 'true' else 'false' end);
  v_query := replace(v_query, ':recent_rows', case when v_full then 'true' else 'c.created_at >= ' || v_since end);
  v_query := replace(v_query, ':sums', case when v_full then 'select * from recent_sums' else $sums$
    select coalesce(r.user_id, b.user_id) as user_id,
           coalesce(b.ledger_sum, 0) + coalesce(r.total, 0) as total,
           coalesce(b.monthly_credits, 0) + coalesce(r.monthly, 0) as monthly,
           coalesce(b.promotional_credits, 0) + coalesce(r.promotional, 0) as promotional,
           coalesce(b.debt_credits, 0) + coalesce(r.debt, 0) as debt,
           coalesce(r.member_rows, 0) as member_rows, coalesce(r.stray_debt_parts, 0) as stray_debt_parts
      from recent_sums r
      full join credits_private.closed_balances b on b.user_id = r.user_id $sums$ end);
  v_query := replace(v_query, ':recent_tasks', case when v_full then 'false' else 't.created_at >= ' || v_since end);
  -- the charges: every charged task's rows summed, then its task joined (hashed) once; from a
  -- closing, each touched task's own rows summed by a probe of the ledger's task index
  v_query := replace(v_query, ':charges', case when v_full then $charges$
    select ch.*, t.id is not null as has_task, t.user_id as task_user_id, t.status, t.origin, t.credits_used,
           t.credits_settled_back
      from (select c.task_id, :charge_sums from public.credit_transactions c
             where c.task_id is not null and c.type in ('usage', 'refund') group by c.task_id) ch
      left join public.enhancement_tasks t on t.id = ch.task_id $charges$ else $charges$
    select a.*, true as has_task, t.user_id as task_user_id, t.status, t.origin, t.credits_used, t.credits_settled_back
      from (select c.task_id, :charge_sums from charge_rows c group by c.task_id) a
      join touched_tasks t on t.id = a.task_id $charges$ end);
  v_query := replace(v_query, ':charge_sums', $sums$count(*) filter (where c.type = 'usage') as usages,
           count(*) filter (where c.type = 'refund') as refunds,
           count(*) filter (where c.type = 'refund' and c.origin = 'settlement') as settlements,
           sum(c.amount) filter (where c.type = 'refund') as refunded,
           sum(-c.amount) filter (where c.type = 'usage') as charged,
           sum(-c.promotional_amount) filter (where c.type = 'usage') as promotional_charged,
           sum(c.promotional_amount) filter (where c.type = 'refund') as promotional_refunded$sums$);
  v_query := replace(v_query, ':tasks', case when v_full then 'public.enhancement_tasks' else 'touched_tasks' end);
  v_query := replace(v_query, ':task_rows', case when v_full then 'public.credit_transactions' else 'charge_rows' end);
  v_query := replace(v_query, ':since', coalesce(v_since, 'null::timestamptz'));
  v_query := replace(v_query, ':touched_spends', case when v_full then 'true' else 's.task_id in (select x.task_id from touched x)' end);
  v_query := replace(v_query, ':recent_lots', case when v_full then 'true' else 'l.expired_at >= ' || v_since end);
  return query execute v_query;
end;
$$;

comment on function credits_private.ledger_violations(timestamptz) is
  'The ledger''s proof: from nothing (null) or from the last closing''s checkpoints (what changed since).';
revoke all on function credits_private.ledger_violations(timestamptz) from public;
