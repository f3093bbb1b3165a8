-- promotional_grants (contract §13, "Reading"): an account's live grants, soonest expiry first,
-- with what each granted, what is left, its expiry and its user-facing label (never the
-- operator's reason); a grant past its date, expired or voided is not listed, one spent to
-- nothing is until its date. Also the label on grant_promotional_credits: checked, and part of
-- what an idempotency key stands for.
begin;
set local search_path to public, tap;
select plan(19);

-- The test runs in one transaction, so now() stands still: a grant "reaches its date" by moving it back.
create temp table u (name text primary key, id uuid);
insert into u values ('list', '00000000-0000-0000-0000-0000000029a1'), ('label', '00000000-0000-0000-0000-0000000029a2');
select ensure_credit_account(id, 'basic') from u;  -- 100 monthly credits each
create function pg_temp.id(p_name text) returns uuid language sql as $$ select id from u where name = p_name $$;
create function pg_temp.lapse(p_lot bigint) returns void language sql as $$
  update credits_private.promotional_lots set expires_at = now() - interval '1 second' where id = p_lot $$;
create temp table g (name text primary key, lot bigint);
grant select on g, u to public;

-- Two grants; a charge of 40 spends the sooner one (30) to nothing and 10 of the later one.
insert into g select 'week', lot_id from grant_promotional_credits(pg_temp.id('list'), 50, '7 days', 'launch campaign #12', 'pg-1', 'Launch week bonus');
insert into g select 'short', lot_id from grant_promotional_credits(pg_temp.id('list'), 30, '3 days', 'support ticket 881', 'pg-2');
select start_generation(pg_temp.id('list'), 'image', 'wavespeed', 'm', 40);

select results_eq($$ select lot_id, granted, remaining, expires_at, label, granted_at from promotional_grants(pg_temp.id('list')) $$,
  $$ values ((select lot from g where name = 'short'), 30::bigint, 0::bigint, now() + interval '3 days', null::text, now()),
            ((select lot from g where name = 'week'), 50::bigint, 40::bigint, now() + interval '7 days', 'Launch week bonus', now()) $$,
  'each live grant: lot, granted, remaining after the charge, expiry, label, granted at; soonest expiry first');
select is((select remaining from promotional_grants(pg_temp.id('list')) where lot_id = (select lot from g where name = 'short')), 0::bigint,
  'a grant spent to nothing but not expired is listed, with remaining 0');
select is((select label from promotional_grants(pg_temp.id('list')) where lot_id = (select lot from g where name = 'short')), null,
  'a grant without a label has label null, not its reason');
select is((select count(*)::int from promotional_grants(pg_temp.id('list'))
            where label in ('launch campaign #12', 'support ticket 881')), 0, 'the label is never the reason');

-- A grant past its date (the job has not run yet), then expired by the job.
insert into g select 'lapsed', lot_id from grant_promotional_credits(pg_temp.id('list'), 10, '5 days', 'lapsing', 'pg-3', 'Lapsing');
select is((select count(*)::int from promotional_grants(pg_temp.id('list'))), 3, 'a new grant is listed');
select pg_temp.lapse((select lot from g where name = 'lapsed'));
select is((select count(*)::int from promotional_grants(pg_temp.id('list')) where lot_id = (select lot from g where name = 'lapsed')), 0,
  'a grant past its date is not listed, even before the expiry job');
select expire_promotional_credits();
select isnt((select expired_at from credits_private.promotional_lots where id = (select lot from g where name = 'lapsed')), null,
  'the expiry job expired it');
select is((select count(*)::int from promotional_grants(pg_temp.id('list')) where lot_id = (select lot from g where name = 'lapsed')), 0,
  'an expired grant is not listed');

-- A voided grant.
insert into g select 'void', lot_id from grant_promotional_credits(pg_temp.id('list'), 15, '30 days', 'abuse later', 'pg-4', 'Voided');
select void_promotional_grant(pg_temp.id('list'), (select lot from g where name = 'void'), 'abused');
select results_eq($$ select lot_id from promotional_grants(pg_temp.id('list')) $$,
  $$ values ((select lot from g where name = 'short')), ((select lot from g where name = 'week')) $$,
  'a voided grant is not listed: the two live grants remain');

-- Refusals and who may call it.
select throws_ok($$ select * from promotional_grants('00000000-0000-0000-0000-00000000dead') $$, 'CR002', null, 'no account is CR002');
select throws_ok($$ select * from promotional_grants(null) $$, 'CR003', null, 'a null user is CR003');
set local role credits_service;
select is((select count(*)::int from promotional_grants(pg_temp.id('list'))), 2, 'credits_service may call it');
reset role;
select set_config('request.jwt.claims', '{"sub": "00000000-0000-0000-0000-0000000029a1", "role": "authenticated"}', true);
set local role authenticated;
select throws_ok($$ select * from promotional_grants('00000000-0000-0000-0000-0000000029a1') $$, '42501', null,
  'authenticated may not call it, even for their own account');
reset role;
set local role anon;
select throws_ok($$ select * from promotional_grants('00000000-0000-0000-0000-0000000029a1') $$, '42501', null, 'anon may not call it');
reset role;
select set_config('request.jwt.claims', '', true);

-- The label on grant_promotional_credits: checked, and part of the key's arguments.
select throws_ok($$ select * from grant_promotional_credits(pg_temp.id('label'), 5, '1 day', 'x', 'lb-1', '   ') $$,
  'CR003', null, 'a blank label is CR003');
select throws_ok($$ select * from grant_promotional_credits(pg_temp.id('label'), 5, '1 day', 'x', 'lb-1', repeat('a', 201)) $$,
  'CR003', null, 'a 201-character label is CR003');
select is((select replayed from grant_promotional_credits(pg_temp.id('label'), 5, '1 day', 'x', 'lb-1', repeat('a', 200))), false,
  'a 200-character label passes (the refusals wrote nothing: the key is new)');
select is((select label from promotional_grants(pg_temp.id('label'))), repeat('a', 200), 'and is the grant''s label');
select throws_ok($$ select * from grant_promotional_credits(pg_temp.id('label'), 5, '1 day', 'x', 'lb-1', 'Other') $$,
  'CR006', null, 'the same key with another label is CR006');

select * from finish(true);
rollback;
