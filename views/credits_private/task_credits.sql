-- task_credits: each task with the credits it was charged, refunded and settled back: the
-- ledger's one definition of them, read by the missing refunds and by every monitoring figure.
-- A task is refunded when it has a 'refund' ledger row of a failure (at most one refund row: a
-- unique index); settled: what the settlement of a completed task gave back (a refund row with
-- origin 'settlement', contract §11: a settlement is not a failure). A task the package ran was
-- charged credits_used and, if it failed, refunded as much in the transaction that failed it, or,
-- if it completed, settled back credits_settled_back (verify_ledger checks all three on the
-- ledger rows themselves), so only legacy tasks have their ledger rows read; their `refunded` is
-- null when no refund row exists.
-- account_id: the account that paid, the task's user or their team (contract §12).
-- A filter on created_at reaches the table's BRIN index through this view.
create or replace view credits_private.task_credits as
select t.id, t.user_id, t.created_at, t.provider, t.model, t.task_type, t.status,
       t.provider_cost_usd, t.submitted_at, t.completed_at,
       case when t.origin = 'rpc' then t.credits_used
            else (select sum(-c.amount)::bigint from public.credit_transactions c where c.task_id = t.id and c.type = 'usage') end as charged,
       case when t.origin = 'rpc' then (case when t.status = 'failed' then t.credits_used else 0 end)
            else (select sum(c.amount)::bigint from public.credit_transactions c
                   where c.task_id = t.id and c.type = 'refund' and c.origin <> 'settlement') end as refunded,
       t.origin, t.updated_at, t.error_message,
       case when t.origin = 'rpc' then coalesce(t.credits_settled_back, 0)
            else coalesce((select sum(c.amount)::bigint from public.credit_transactions c
                            where c.task_id = t.id and c.type = 'refund' and c.origin = 'settlement'), 0) end as settled,
       coalesce(t.account_id, t.user_id) as account_id
  from public.enhancement_tasks t;

comment on view credits_private.task_credits is 'Tasks with the credits they were charged, refunded (failures) and settled back (holds larger than the use).';
revoke all on credits_private.task_credits from public;
