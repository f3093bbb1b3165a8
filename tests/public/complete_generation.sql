-- complete_generation: completes a task at its cost (given, or the price in effect when it
-- started, per generation or per unit reported); idempotent, and a late success on a failed task
-- is only recorded. Settlements (p_credits_used): tests/rules/settlement.sql.
begin;
set local search_path to public, tap;
select plan(24);

select ensure_credit_account('00000000-0000-0000-0000-00000000002a', 'pro');
insert into provider_prices (provider, model, cost_usd, effective_from) values
  ('wavespeed', 'nb-pro', 0.0300, now() - interval '2 days'),
  ('wavespeed', 'nb-pro', 0.0400, now() + interval '1 hour');   -- not yet in effect
create temp table t as
  select (start_generation('00000000-0000-0000-0000-00000000002a', 'enhance', 'wavespeed', 'nb-pro', 5)).task_id a,
         (start_generation('00000000-0000-0000-0000-00000000002a', 'enhance', 'wavespeed', 'nb-pro', 5)).task_id b,
         (start_generation('00000000-0000-0000-0000-00000000002a', 'enhance', 'wavespeed', 'nb-pro', 5)).task_id c,
         (start_generation('00000000-0000-0000-0000-00000000002a', 'enhance', 'wavespeed', 'other', 5)).task_id d;

select results_eq($$ select status, outcome from complete_generation((select a from t), 0.0123, 'https://cdn/x.png') $$,
  $$ values ('completed', 'completed') $$, 'a pending task completes');
select results_eq($$ select provider_cost_usd, result_url, completed_at is not null from enhancement_tasks where id = (select a from t) $$,
  $$ values (0.0123::numeric(12,6), 'https://cdn/x.png', true) $$, 'the passed cost, result and finish time are stored');
select results_eq($$ select outcome from complete_generation((select a from t)) $$,
  $$ values ('already_completed') $$, 'a duplicate callback reports already_completed');
select is((select provider_cost_usd from enhancement_tasks where id = (select a from t)), 0.0123::numeric(12,6), 'a duplicate changes nothing');

select complete_generation((select b from t));
select is((select provider_cost_usd from enhancement_tasks where id = (select b from t)), 0.03::numeric(12,6),
  'without a cost, the price in effect when the task started applies');
select complete_generation((select d from t));
select is((select provider_cost_usd from enhancement_tasks where id = (select d from t)), null,
  'a model without a price leaves the cost unknown');

select fail_generation((select c from t), 'nsfw filter');
select results_eq($$ select status, outcome from complete_generation((select c from t), 1) $$,
  $$ values ('failed', 'ignored_already_failed') $$, 'a late success on a failed task is ignored');
select results_eq($$ select status, provider_cost_usd from enhancement_tasks where id = (select c from t) $$,
  $$ values ('failed', 1::numeric(12,6)) $$, 'the failed task stays failed; the late success''s cost is recorded on it');
select is((select provider_cost_usd from credits_private.late_results where task_id = (select c from t)), 1::numeric(12,6),
  'the late result is kept, once');
select results_eq($$ select outcome from complete_generation((select c from t), 5) $$,
  $$ values ('ignored_already_failed') $$, 'a second late success records nothing more');
select is((select credits from user_credits where user_id = '00000000-0000-0000-0000-00000000002a'), 485::bigint, 'no balance moved on completion');

select throws_ok($$ select complete_generation(gen_random_uuid()) $$, 'CR004', null, 'an unknown task is CR004');
select throws_ok($$ select complete_generation((select b from t), -1) $$, 'CR003', null, 'a negative cost is CR003');
select throws_ok($$ select complete_generation(null) $$, 'CR003', null, 'a null task is CR003');

select throws_ok($$ select complete_generation(gen_random_uuid(), null, E'\n\t') $$, 'CR003', null, 'a result url of whitespace is CR003');

-- Prices per unit: a video model priced by the second, a batch model by the output.
insert into provider_prices (provider, model, cost_usd, effective_from, unit) values
  ('wavespeed', 'video-s', 0.0500, now() - interval '1 day', 'second'),
  ('wavespeed', 'batch-o', 0.0200, now() - interval '1 day', 'output');
create temp table u as
  select (start_generation('00000000-0000-0000-0000-00000000002a', 'video', 'wavespeed', 'video-s', 50)).task_id v,
         (start_generation('00000000-0000-0000-0000-00000000002a', 'video', 'wavespeed', 'video-s', 50)).task_id v2,
         (start_generation('00000000-0000-0000-0000-00000000002a', 'batch', 'wavespeed', 'batch-o', 40)).task_id b,
         (start_generation('00000000-0000-0000-0000-00000000002a', 'enhance', 'wavespeed', 'nb-pro', 5)).task_id g;
select complete_generation((select v from u), null, null, null, 12);
select is((select provider_cost_usd from enhancement_tasks where id = (select v from u)), 0.6::numeric(12,6),
  'a price per second times the seconds reported');
select complete_generation((select b from u), null, null, 30, 3);
select is((select provider_cost_usd from enhancement_tasks where id = (select b from u)), 0.06::numeric(12,6),
  'a price per output times the outputs reported, with a settlement');
select complete_generation((select v2 from u));
select is((select provider_cost_usd from enhancement_tasks where id = (select v2 from u)), null,
  'a price per unit with no units reported leaves the cost unknown');
select complete_generation((select g from u), null, null, 4, 7);
select is((select provider_cost_usd from enhancement_tasks where id = (select g from u)), 0.03::numeric(12,6),
  'a price per generation ignores the units');
select throws_ok($$ select complete_generation((select v2 from u), null, null, null, -1) $$, 'CR003', null, 'negative units are CR003');
select throws_ok($$ select complete_generation((select v2 from u), null, null, null, 1e10) $$, 'CR003', null, 'absurd units are CR003');
-- units whose cost would pass 10,000 USD (what a cost passed may be): the cost is unknown, never an error
create temp table w as
  select (start_generation('00000000-0000-0000-0000-00000000002a', 'video', 'wavespeed', 'video-s', 50)).task_id f,
         (start_generation('00000000-0000-0000-0000-00000000002a', 'video', 'wavespeed', 'video-s', 50)).task_id big;
select results_eq($$ select outcome from complete_generation((select big from w), null, null, null, 100000000) $$,
  $$ values ('completed') $$, 'units priced past 10,000 USD complete the task all the same');
select is((select provider_cost_usd from enhancement_tasks where id = (select big from w)), null, 'and leave its cost unknown');
select fail_generation((select f from w), 'timeout', 'timeout');
select results_eq($$ select outcome from complete_generation((select f from w), null, null, 10, 100000000) $$,
  $$ values ('ignored_already_failed') $$, 'a late success with such units is ignored, as any late success');
select * from finish(true);
rollback;
