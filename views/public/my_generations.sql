-- my_generations: the calling end user's generations, with the columns a user should see (status,
-- credits charged, result) and none of the platform's internals: no upstream cost, provider job
-- id, idempotency key, metadata or raw error message (contract §8, v1.2). security_invoker: the
-- tables' row-level security applies to the caller, so a user reads their own rows only; end
-- users hold SELECT on exactly these columns of enhancement_tasks, not on the table.
-- credits_used is what the generation held when it started; credits_final what it finally cost
-- (the hold less what its settlement gave back, contract §11), null until it is completed.
-- account_id: the team that paid for it (contract §12: a member sees their own generations
-- whoever paid, and no other member's), null when the user's own credits did.
-- Never null: id, user_id, task_type, provider, status, credits_used, created_at, updated_at.
create or replace view public.my_generations with (security_invoker = true) as
select t.id, t.user_id, t.task_type, t.provider, t.model, t.status, t.credits_used, t.result_url,
       t.created_at, t.updated_at, t.completed_at,
       case when t.status = 'completed' then t.credits_used - coalesce(t.credits_settled_back, 0) end as credits_final,
       t.account_id
  from public.enhancement_tasks t;
comment on view public.my_generations is 'The calling end user''s generations (row-level security), user-facing columns only.';
revoke all on public.my_generations from public, anon, authenticated;
grant select on public.my_generations to authenticated;
