-- task_credits: each task with the credits it was charged and refunded: the ledger's one
-- definition of both, read by the missing refunds and by every monitoring figure. A task is
-- refunded when it has a 'refund' ledger row (at most one: a unique index). A task the package
-- ran was charged credits_used and, if it failed, refunded as much in the transaction that
-- failed it (verify_ledger checks both on the ledger rows themselves), so only legacy tasks have
-- their ledger rows read; their `refunded` is null when no refund row exists. A filter on
-- created_at reaches the table's BRIN index through this view.
create or replace view credits_private.task_credits as
select t.id, t.user_id, t.created_at, t.provider, t.model, t.task_type, t.status,
       t.provider_cost_usd, t.submitted_at, t.completed_at,
       case when t.origin = 'rpc' then t.credits_used
            else (select sum(-c.amount)::bigint from public.credit_transactions c where c.task_id = t.id and c.type = 'usage') end as charged,
       case when t.origin = 'rpc' then (case when t.status = 'failed' then t.credits_used else 0 end)
            else (select sum(c.amount)::bigint from public.credit_transactions c where c.task_id = t.id and c.type = 'refund') end as refunded,
       t.origin, t.updated_at, t.error_message
  from public.enhancement_tasks t;

comment on view credits_private.task_credits is 'Tasks with the credits they were charged and refunded.';
revoke all on credits_private.task_credits from public;
