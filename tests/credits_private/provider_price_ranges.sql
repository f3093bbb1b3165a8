-- credits_private.provider_price_ranges: the one definition of the price in effect. Each price
-- holds from its effective_from until the model's next one; the latest is open-ended; models
-- and providers do not share ranges; and complete_generation records the price in effect when
-- the task started, not the latest one.
begin;
set local search_path to public, tap;
select plan(6);

insert into provider_prices (provider, model, cost_usd, effective_from) values
  ('pp-test', 'model-a', 0.010, '2026-01-01'), ('pp-test', 'model-a', 0.020, '2026-03-01'),
  ('pp-test', 'model-a', 0.030, '2026-05-01'), ('pp-test', 'model-b', 0.500, '2026-02-01');

select results_eq(
  $$ select cost_usd, lower(in_effect), upper(in_effect) from credits_private.provider_price_ranges
      where provider = 'pp-test' and model = 'model-a' order by lower(in_effect) $$,
  $$ values (0.010::numeric(12,6), '2026-01-01'::timestamptz, '2026-03-01'::timestamptz),
            (0.020, '2026-03-01', '2026-05-01'), (0.030, '2026-05-01', null) $$,
  'each price holds until the next one of its model; the latest is open-ended');
select results_eq(
  $$ select cost_usd from credits_private.provider_price_ranges
      where provider = 'pp-test' and model = 'model-a' and in_effect @> '2026-03-01'::timestamptz $$,
  $$ values (0.020::numeric(12,6)) $$, 'a price is in effect from its own start (the range includes it)');
select is_empty(
  $$ select 1 from credits_private.provider_price_ranges
      where provider = 'pp-test' and model = 'model-a' and in_effect @> '2025-12-31'::timestamptz $$,
  'before the first price, none is in effect');
select results_eq(
  $$ select cost_usd, upper(in_effect) from credits_private.provider_price_ranges where provider = 'pp-test' and model = 'model-b' $$,
  $$ values (0.500::numeric(12,6), null::timestamptz) $$, 'another model keeps its own range');

-- complete_generation keeps the rule inline (the hot path): at every start time around the
-- prices' boundaries, what it records is what the view says, and its late-success path too.
select ensure_credit_account('00000000-0000-0000-0000-0000000000b1', 'pro');
create temp table starts (at timestamptz, task uuid);
insert into starts (at) values ('2025-12-31 23:59:59+00'), ('2026-01-01 00:00:00+00'), ('2026-02-28 23:59:59.999999+00'),
  ('2026-03-01 00:00:00+00'), ('2026-04-15 12:00:00+00'), ('2026-05-01 00:00:00+00'), ('2027-01-01 00:00:00+00');
update starts set task = (start_generation('00000000-0000-0000-0000-0000000000b1', 'generate', 'pp-test', 'model-a', 1)).task_id;
update enhancement_tasks t set created_at = s.at from starts s where t.id = s.task;
select complete_generation(task) from starts;
select results_eq(
  $$ select s.at, t.provider_cost_usd from starts s join enhancement_tasks t on t.id = s.task order by s.at $$,
  $$ select s.at, (select p.cost_usd from credits_private.provider_price_ranges p
                    where p.provider = 'pp-test' and p.model = 'model-a' and p.in_effect @> s.at)::numeric(10,4)
       from starts s order by s.at $$,
  'a completion without a cost records the price the view says was in effect when the task started');
select ensure_credit_account('00000000-0000-0000-0000-0000000000b2', 'pro');
create temp table late as
  select (start_generation('00000000-0000-0000-0000-0000000000b2', 'generate', 'pp-test', 'model-a', 1)).task_id as id;
update enhancement_tasks set created_at = '2026-03-15' where id = (select id from late);
select fail_generation((select id from late), 'no answer', 'timeout');
select complete_generation((select id from late));
select is((select provider_cost_usd from credits_private.late_results where task_id = (select id from late)), 0.020::numeric,
  'a late success records the price in effect when its task started');

select * from finish(true);
rollback;
