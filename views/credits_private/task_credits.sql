-- task_credits: each task with the credits it was charged and refunded. A task the package ran
-- was charged credits_used and, if it failed, refunded as much (verify_ledger checks it), so
-- only legacy tasks have their ledger rows read. The monitoring rollups' sources read this view;
-- a filter on created_at reaches the table's BRIN index through it.
create or replace view credits_private.task_credits as
select t.id, t.user_id, t.created_at, t.provider, t.model, t.task_type, t.status,
       t.provider_cost_usd, t.submitted_at, t.completed_at,
       case when t.origin = 'rpc' then t.credits_used
            else (select sum(-c.amount)::bigint from public.credit_transactions c where c.task_id = t.id and c.type = 'usage') end as charged,
       case when t.origin = 'rpc' then (case when t.status = 'failed' then t.credits_used else 0 end)
            else (select sum(c.amount)::bigint from public.credit_transactions c where c.task_id = t.id and c.type = 'refund') end as refunded
  from public.enhancement_tasks t;

comment on view credits_private.task_credits is 'Tasks with the credits they were charged and refunded.';
revoke all on credits_private.task_credits from public;
