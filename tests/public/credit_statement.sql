-- credit_statement: an account's month as the ledger's sums (opening, each movement, closing):
-- closing = opening + movements = the balance, so a statement always adds up; periods are UTC months.
begin;
set local search_path to public, tap;
select plan(6);

-- An account on basic (100 a month): a purchase, three charges, one refunded.
select ensure_credit_account('00000000-0000-0000-0000-0000000000f1', 'basic');
select grant_credits('00000000-0000-0000-0000-0000000000f1', 50, 'pack', 'pack-1');
create temp table t as
  select (start_generation('00000000-0000-0000-0000-0000000000f1', 'enhance', 'wavespeed', 'm', 10 * i)).task_id, i
    from generate_series(1, 3) i;
select fail_generation((select task_id from t where i = 2), 'oom');

-- Statement: each figure the ledger's sum; closing = opening + movements = the balance.
select results_eq($$ select opening_balance, allocated, purchased, used, refunded, expired, adjusted, closing_balance, transactions
                       from credit_statement('00000000-0000-0000-0000-0000000000f1') $$,
  $$ values (0::bigint, 100::bigint, 50::bigint, 60::bigint, 20::bigint, 0::bigint, 0::bigint, 110::bigint, 6) $$,
  'this month: allowance 100, purchase 50, used 60, refunded 20, closing 110');
select is((select closing_balance from credit_statement('00000000-0000-0000-0000-0000000000f1')),
          (select credits from user_credits where user_id = '00000000-0000-0000-0000-0000000000f1'), 'the closing balance is the balance');
select results_eq($$ select opening_balance, closing_balance, transactions
                       from credit_statement('00000000-0000-0000-0000-0000000000f1', (date_trunc('month', now() at time zone 'UTC') - interval '1 month')::date) $$,
  $$ values (0::bigint, 0::bigint, 0) $$, 'last month: nothing yet');
select throws_ok($$ select * from credit_statement('00000000-0000-0000-0000-0000000000f1', '2026-01-15') $$, 'CR003', null, 'a period not starting on the 1st is CR003');
select throws_ok($$ select * from credit_statement('00000000-0000-0000-0000-0000000000f1', (date_trunc('month', now() at time zone 'UTC') + interval '1 month')::date) $$,
  'CR003', null, 'a month that has not begun is CR003');

-- Promotional credits: two grants, past their date (now() stands still in the test's
-- transaction, so a lot expires by moving its date back), expired by the next charge.
select ensure_credit_account('00000000-0000-0000-0000-0000000000f3', 'basic');
select grant_promotional_credits('00000000-0000-0000-0000-0000000000f3', 30, '1 day', 'spring', 'l-1');
select grant_promotional_credits('00000000-0000-0000-0000-0000000000f3', 5, '1 day', 'summer', 'l-2');
update credits_private.promotional_lots set expires_at = now() - interval '1 second' where user_id = '00000000-0000-0000-0000-0000000000f3';
select start_generation('00000000-0000-0000-0000-0000000000f3', 'enhance', 'wavespeed', 'm', 10);
select results_eq($$ select promoted, expired, closing_balance = opening_balance + allocated + purchased + promoted - used + refunded - expired + adjusted
                      from credit_statement('00000000-0000-0000-0000-0000000000f3') $$,
  $$ values (35::bigint, 35::bigint, true) $$, 'the statement shows the grants and their expiry, and adds up');

select * from finish(true);
rollback;
