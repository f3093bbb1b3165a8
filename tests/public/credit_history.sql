-- credit_history: the service's page of an account's ledger, newest first, keyset-paginated on
-- (created_at, id) so that pages join exactly, with what only the service may see (descriptions).
begin;
set local search_path to public, tap;
select plan(10);

-- An account on basic (100 a month): a purchase, three charges, one refunded.
select ensure_credit_account('00000000-0000-0000-0000-0000000000f1', 'basic');
select grant_credits('00000000-0000-0000-0000-0000000000f1', 50, 'pack', 'pack-1');
create temp table t as
  select (start_generation('00000000-0000-0000-0000-0000000000f1', 'enhance', 'wavespeed', 'm', 10 * i)).task_id, i
    from generate_series(1, 3) i;
select fail_generation((select task_id from t where i = 2), 'oom');

-- History: newest first, (created_at, id) order, pages that join exactly.
select results_eq($$ select count(*)::int from credit_history('00000000-0000-0000-0000-0000000000f1') $$,
  $$ values (6) $$, 'every ledger row of the account');
select results_eq($$ select array_agg(id order by created_at desc, id desc) from credit_history('00000000-0000-0000-0000-0000000000f1') $$,
  $$ select array_agg(id order by created_at desc, id desc) from credit_transactions where user_id = '00000000-0000-0000-0000-0000000000f1' $$,
  'newest first, ties by id');
create temp table page1 as select * from credit_history('00000000-0000-0000-0000-0000000000f1', null, 4);
create temp table page2 as
  select * from credit_history('00000000-0000-0000-0000-0000000000f1',
                               (select id from page1 order by created_at, id limit 1), 4);
select is((select count(*)::int from page1), 4, 'a page holds p_limit rows');
select is((select count(*)::int from page2), 2, 'the next page the rest');
select is_empty($$ select id from page1 intersect select id from page2 $$, 'no row on two pages');
select results_eq($$ select type, amount from credit_history('00000000-0000-0000-0000-0000000000f1') where type = 'purchase' $$,
  $$ values ('purchase', 50::bigint) $$, 'with type and amount');
select results_eq($$ select description from credit_history('00000000-0000-0000-0000-0000000000f1') where type = 'purchase' $$,
  $$ values ('pack') $$, 'the service sees the description');
select is_empty($$ select * from credit_history('00000000-0000-0000-0000-0000000000ff') $$, 'a user without an account has an empty history');
select throws_ok($$ select * from credit_history('00000000-0000-0000-0000-0000000000f1', null, 0) $$, 'CR003', 'p_limit must be between 1 and 1000', 'p_limit 0 is CR003');
select throws_ok($$ select * from credit_history('00000000-0000-0000-0000-0000000000f1', gen_random_uuid()) $$, 'CR003',
  'p_before is not a ledger row of this user', 'a cursor of no row of this user is CR003');

select * from finish(true);
rollback;
