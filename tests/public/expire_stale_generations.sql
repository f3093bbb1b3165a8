-- expire_stale_generations, the sweeper: fails and refunds tasks stuck in flight, as the sweeper,
-- and moves its low-water mark; fresh and finished tasks are left alone.
begin;
set local search_path to public, tap;
select plan(12);

select ensure_credit_account('00000000-0000-0000-0000-00000000004a', 'basic');
create temp table t as
  select (start_generation('00000000-0000-0000-0000-00000000004a', 'enhance', 'wavespeed', 'm', 10)).task_id pending_old,
         (start_generation('00000000-0000-0000-0000-00000000004a', 'enhance', 'wavespeed', 'm', 20)).task_id processing_old,
         (start_generation('00000000-0000-0000-0000-00000000004a', 'enhance', 'wavespeed', 'm', 30)).task_id fresh,
         (start_generation('00000000-0000-0000-0000-00000000004a', 'enhance', 'wavespeed', 'm', 5)).task_id done_old;
select mark_generation_submitted((select processing_old from t), 'job-p');
select complete_generation((select done_old from t));
update enhancement_tasks set updated_at = now() - interval '2 hours'
 where id in ((select pending_old from t), (select processing_old from t), (select done_old from t));

create temp table swept as select * from expire_stale_generations('30 minutes');
select results_eq($$ select task_id, previous_status, refunded_credits from swept order by refunded_credits $$,
  $$ values ((select pending_old from t), 'pending', 10), ((select processing_old from t), 'processing', 20) $$,
  'stuck pending and processing tasks are failed and refunded; fresh and finished ones are not');
select results_eq($$ select status, failure_source from enhancement_tasks where id = (select pending_old from t) $$,
  $$ values ('failed', 'timeout') $$, 'the source of a sweep is timeout');
select is((select max(balance) from swept), 65::bigint, 'the last refund reports the balance after it');
select is((select credits from user_credits where user_id = '00000000-0000-0000-0000-00000000004a'), 65::bigint, '100 - 65 charged + 30 refunded');
select results_eq($$ select distinct c.origin from credit_transactions c join swept s on s.task_id = c.task_id where c.type = 'refund' $$,
  $$ values ('sweeper') $$, 'the refund rows say the sweeper wrote them');
select is_empty($$ select * from expire_stale_generations('30 minutes') $$, 'a second sweep finds nothing');
select results_eq($$ select count(*)::int from expire_stale_generations('1 second', 1) $$, $$ values (0) $$,
  'the fresh task (updated now) is not older than a second');
select ok((select since from credits_private.sweeper_state) = (select min(created_at) from enhancement_tasks where status in ('pending', 'processing')) - interval '10 minutes',
  'the sweeper''s low-water mark moves to the oldest task still in flight, less 10 minutes');
select complete_generation((select fresh from t));
select expire_stale_generations('30 minutes');
select is((select since from credits_private.sweeper_state), now() - interval '10 minutes',
  'with nothing in flight the mark is now, less 10 minutes; it never moves back');
select throws_ok($$ select * from expire_stale_generations('0 seconds') $$, 'CR003', null, 'a zero age is CR003');
select throws_ok($$ select * from expire_stale_generations('1 minute', 0) $$, 'CR003', null, 'a zero limit is CR003');
select throws_ok($$ select * from expire_stale_generations(null) $$, 'CR003', null, 'a null age is CR003');

select * from finish(true);
rollback;
