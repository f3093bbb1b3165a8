-- close_ledger: closes the ledger through the instant p_through, by default the start of today
-- (00:00 UTC): the daily job, run soon after midnight (issue 30). It first proves what changed since the last
-- closing (verify_open_period's proof: nothing is closed on a ledger that is not sound), then
-- records each account the period changed in credits_private.closed_balances (its checkpoint
-- plus the period's rows), its sums at each UTC month edge the period crosses in
-- credits_private.month_balances (what credit_balance_at and the statements start from), and the
-- closing in credits_private.ledger_closings. From then on the
-- period's rows are write-protected (CR005 on UPDATE or DELETE) and the daily proof starts from
-- the new checkpoint. Several days not closed yet are closed as one period; closing an instant
-- already closed changes nothing. A row is stamped with its transaction's start, so a
-- transaction begun before the instant and still open could yet write a row before it: then
-- nothing is closed (CR005), and the job's next run closes it.
-- Result: closed_through (the instant), ledger_rows and accounts (the period's), outcome:
-- 'closed' or 'already_closed' (nothing to do: ledger_rows and accounts 0).
-- Errors: CR003 invalid argument (p_through later than now), CR005 the ledger is not sound
-- (DETAIL: the first violations), or a transaction begun before the instant is still open, or
-- which transactions are open cannot be known (the owner lacks pg_read_all_stats, or the caller
-- runs above READ COMMITTED).
-- Never null: closed_through, ledger_rows, accounts, outcome.
-- SECURITY DEFINER: the scheduler's role closes the ledger without any privilege on it.
create or replace function public.close_ledger(
  p_through timestamptz default null,
  out closed_through timestamptz,
  out ledger_rows bigint,
  out accounts bigint,
  out outcome text
)
language plpgsql
volatile
security definer
set search_path to pg_catalog, pg_temp
-- JIT would compile the proof's plan for seconds (its cost follows the tables' sizes, so it
-- grows with the history) to save less on the rows since the last closing
set jit to off
as $$
declare
  v_last timestamptz;
  v_oldest timestamptz;
  v_violations text;
begin
  closed_through := coalesce(p_through, date_trunc('day', now() at time zone 'UTC') at time zone 'UTC');
  if closed_through > now() then
    raise exception using errcode = 'CR003',
      message = 'p_through must not be later than now',
      detail = format('p_through was %s; now is %s.', p_through, now()),
      hint = 'Close through an instant that has passed: by default, the start of today (UTC).';
  end if;
  perform pg_advisory_xact_lock(hashtextextended('credits.close_ledger', 0));
  v_last := (select max(c.closed_through) from credits_private.ledger_closings c);
  if v_last >= closed_through then
    closed_through := v_last;
    ledger_rows := 0;
    accounts := 0;
    outcome := 'already_closed';
    return;
  end if;

  v_oldest := credits_private.oldest_open_transaction();
  if v_oldest is null or v_oldest < closed_through then
    raise exception using errcode = 'CR005',
      message = 'the ledger cannot be closed yet',
      detail = case when v_oldest is null
                    then 'Which transactions are open cannot be known (pg_stat_activity).'
                    else format('A transaction begun at %s is still open: it may yet write a row before %s.', v_oldest, closed_through) end,
      hint = case when v_oldest is null
                  then 'Grant pg_read_all_stats to the owner of the credits schemas, and call it at READ COMMITTED.'
                  else 'Run close_ledger again once it has ended (a scheduler''s next run does).' end;
  end if;

  select string_agg(format('%s %s%s: %s', v.invariant, coalesce(v.user_id::text, ''), coalesce(' task ' || v.task_id, ''), v.detail), '; ')
    into v_violations
    from (select * from credits_private.ledger_violations(v_last) limit 5) v;
  if v_violations is not null then
    raise exception using errcode = 'CR005',
      message = 'the ledger is not sound: nothing is closed',
      detail = v_violations,
      hint = 'See verify_open_period() (or verify_ledger()) for every violation; close once they are repaired.';
  end if;

  with months as (
    -- the period's rows per account and UTC month
    select c.user_id, date_trunc('month', c.created_at at time zone 'UTC') at time zone 'UTC' as month,
           sum(c.amount) as ledger_sum, sum(c.monthly_amount) as monthly, sum(c.promotional_amount) as promotional,
           coalesce(-sum(c.debt_amount), 0) as debt, count(*) as n
      from public.credit_transactions c
     where c.created_at >= coalesce(v_last, '-infinity') and c.created_at < close_ledger.closed_through
     group by 1, 2
  ), running as (
    -- each account's sums before the end of each of those months: its checkpoint plus the months so far
    select m.user_id, m.month + interval '1 month' as month_end,
           coalesce(b.ledger_sum, 0) + sum(m.ledger_sum) over w as ledger_sum,
           coalesce(b.monthly_credits, 0) + sum(m.monthly) over w as monthly,
           coalesce(b.promotional_credits, 0) + sum(m.promotional) over w as promotional,
           coalesce(b.debt_credits, 0) + sum(m.debt) over w as debt,
           coalesce(b.ledger_rows, 0) + sum(m.n) over w as n
      from months m left join credits_private.closed_balances b on b.user_id = m.user_id
    window w as (partition by m.user_id order by m.month)
  ), edges as (
    -- the month edges this closing crosses (run whether or not the query below reads it)
    insert into credits_private.month_balances as e
      (user_id, at, ledger_sum, monthly_credits, promotional_credits, debt_credits, ledger_rows)
    select r.user_id, r.month_end, r.ledger_sum::bigint, r.monthly::bigint, r.promotional::bigint, r.debt::bigint, r.n::bigint
      from running r where r.month_end <= close_ledger.closed_through
    returning 1
  ), period as (
    select m.user_id, sum(m.ledger_sum) as ledger_sum, sum(m.monthly) as monthly, sum(m.promotional) as promotional,
           sum(m.debt) as debt, sum(m.n) as n
      from months m group by m.user_id
  ), written as (
    insert into credits_private.closed_balances as b
      (user_id, closed_through, ledger_sum, monthly_credits, promotional_credits, debt_credits, ledger_rows)
    select p.user_id, close_ledger.closed_through, p.ledger_sum, p.monthly, p.promotional, p.debt, p.n from period p
    on conflict (user_id) do update
       set closed_through = excluded.closed_through,
           ledger_sum = b.ledger_sum + excluded.ledger_sum,
           monthly_credits = b.monthly_credits + excluded.monthly_credits,
           promotional_credits = b.promotional_credits + excluded.promotional_credits,
           debt_credits = b.debt_credits + excluded.debt_credits,
           ledger_rows = b.ledger_rows + excluded.ledger_rows
    returning 1
  )
  select (select count(*) from written), coalesce((select sum(p.n) from period p), 0)::bigint into accounts, ledger_rows;
  insert into credits_private.ledger_closings (closed_through, ledger_rows, accounts)
  values (close_ledger.closed_through, ledger_rows, accounts);
  outcome := 'closed';
end;
$$;

comment on function public.close_ledger(timestamptz) is
  'Closes the ledger through p_through (default 00:00 UTC today): proves the open period, records each changed account''s checkpoint.';
revoke all on function public.close_ledger(timestamptz) from public, anon, authenticated;
grant execute on function public.close_ledger(timestamptz) to credits_service;
