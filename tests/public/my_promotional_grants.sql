-- my_promotional_grants (contract §13, "Reading"): the calling end user's live grants, the same
-- columns as promotional_grants and never the operator's reason; no JWT user is 42501. End users
-- see a promotional grant in their transactions as kind 'promotional_grant' (its type stays
-- 'adjustment'); every other row's kind is its type.
begin;
set local search_path to public, tap;
select plan(14);

create temp table u (name text primary key, id uuid);
insert into u values ('ann', '00000000-0000-0000-0000-0000000029b1'), ('bob', '00000000-0000-0000-0000-0000000029b2');
select ensure_credit_account(id, 'basic') from u;  -- an allocation row each
create function pg_temp.id(p_name text) returns uuid language sql as $$ select id from u where name = p_name $$;
create temp table g (name text primary key, lot bigint);
grant select on g, u to public;

insert into g select 'ann-week', lot_id from grant_promotional_credits(pg_temp.id('ann'), 50, '7 days', 'internal: campaign 12', 'mp-1', 'Welcome bonus');
insert into g select 'ann-day', lot_id from grant_promotional_credits(pg_temp.id('ann'), 20, '1 day', 'internal: ticket 881', 'mp-2');
insert into g select 'bob', lot_id from grant_promotional_credits(pg_temp.id('bob'), 30, '3 days', 'internal: bob', 'mp-3', 'Bob''s bonus');
select start_generation(pg_temp.id('ann'), 'image', 'wavespeed', 'm', 5);  -- 5 of the sooner grant spent

select set_config('request.jwt.claims', '{"sub": "00000000-0000-0000-0000-0000000029b1", "role": "authenticated"}', true);
set local role authenticated;
select results_eq($$ select lot_id, granted, remaining, expires_at, label, granted_at from my_promotional_grants() $$,
  $$ values ((select lot from g where name = 'ann-day'), 20::bigint, 15::bigint, now() + interval '1 day', null::text, now()),
            ((select lot from g where name = 'ann-week'), 50::bigint, 50::bigint, now() + interval '7 days', 'Welcome bonus', now()) $$,
  'the caller''s live grants, soonest expiry first: lot, granted, remaining, expiry, label, granted at');
select is((select count(*)::int from my_promotional_grants() where lot_id = (select lot from g where name = 'bob')), 0,
  'never another user''s grant');
select is((select count(*)::int from my_promotional_grants() where label like 'internal%'), 0, 'never the reason as the label');
select results_eq($$ select array_agg(kind::text order by kind) from my_credit_transactions where type = 'adjustment' $$,
  $$ values (array['promotional_grant', 'promotional_grant']) $$,
  'my_credit_transactions: each promotional grant row has kind promotional_grant');
select results_eq($$ select type, kind, amount, promotional_amount from my_credit_transactions where kind = 'promotional_grant' order by amount $$,
  $$ values ('adjustment', 'promotional_grant', 20::bigint, 20::bigint), ('adjustment', 'promotional_grant', 50::bigint, 50::bigint) $$,
  'my_credit_transactions: the grant rows'' type stays adjustment');
select results_eq($$ select type, kind from my_credit_transactions where type <> 'adjustment' order by type $$,
  $$ values ('allocation', 'allocation'), ('usage', 'usage') $$, 'my_credit_transactions: other rows'' kind is their type');
select results_eq($$ select type, kind, amount from my_credit_history() where type = 'adjustment' order by amount $$,
  $$ values ('adjustment', 'promotional_grant', 20::bigint), ('adjustment', 'promotional_grant', 50::bigint) $$,
  'my_credit_history: the grant rows have kind promotional_grant and type adjustment');
select results_eq($$ select type, kind from my_credit_history() where type <> 'adjustment' order by type $$,
  $$ values ('allocation', 'allocation'), ('usage', 'usage') $$, 'my_credit_history: other rows'' kind is their type');

select set_config('request.jwt.claims', '{"sub": "00000000-0000-0000-0000-0000000029b2", "role": "authenticated"}', true);
select results_eq($$ select lot_id, granted, remaining, label from my_promotional_grants() $$,
  $$ values ((select lot from g where name = 'bob'), 30::bigint, 30::bigint, 'Bob''s bonus') $$, 'another user sees only their own grant');
select results_eq($$ select type, kind from my_credit_transactions order by type $$,
  $$ values ('adjustment', 'promotional_grant'), ('allocation', 'allocation') $$, 'and only their own rows, with their kinds');
select set_config('request.jwt.claims', '{"sub": "00000000-0000-0000-0000-0000000029bf", "role": "authenticated"}', true);
select is_empty($$ select * from my_promotional_grants() $$, 'a user without an account has no grants');
select set_config('request.jwt.claims', '', true);
select throws_ok($$ select * from my_promotional_grants() $$, '42501', null, 'no user in the JWT is 42501');
reset role;
set local role anon;
select throws_ok($$ select * from my_promotional_grants() $$, '42501', null, 'anon may not call it');
reset role;

-- The result has exactly these columns: nothing of the reason.
select is((select array_to_string(proargnames, ',') from pg_proc where oid = 'public.my_promotional_grants()'::regprocedure),
  'lot_id,granted,remaining,expires_at,label,granted_at', 'the result''s columns: no reason among them');

select * from finish(true);
rollback;
