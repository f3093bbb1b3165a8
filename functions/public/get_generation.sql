-- get_generation: one task as the backend sees it: status, the provider's job id, what it was
-- charged, how it ended. For a retry that must know whether a submission was recorded (the
-- provider adapter's submitGeneration) and for reconciliation.
-- Errors: CR003 null task id, CR004 no such task.
-- age_seconds: how long ago the task was created, by the database's clock. credits_used is what
-- start_generation charged (the hold); credits_final what the generation finally cost (the hold
-- less what its settlement gave back, contract §11), null until the task is completed.
-- Never null: task_id, user_id, task_type, provider, status, credits_used, created_at, updated_at, age_seconds.
-- SECURITY DEFINER: the service role calls it without any privilege on the tables.
create or replace function public.get_generation(
  p_task_id uuid,
  out task_id uuid,
  out user_id uuid,
  out task_type text,
  out provider text,
  out model text,
  out status text,
  out credits_used bigint,
  out external_task_id text,
  out failure_source text,
  out error_message text,
  out result_url text,
  out provider_cost_usd numeric,
  out created_at timestamptz,
  out submitted_at timestamptz,
  out updated_at timestamptz,
  out completed_at timestamptz,
  out age_seconds double precision,
  out credits_final bigint
)
language plpgsql
stable
security definer
set search_path to pg_catalog, pg_temp
as $$
begin
  perform credits_private.require_present('p_task_id', p_task_id);
  select t.id, t.user_id, t.task_type, t.provider, t.model, t.status, t.credits_used, t.external_task_id,
         t.failure_source, t.error_message, t.result_url, t.provider_cost_usd, t.created_at, t.submitted_at,
         t.updated_at, t.completed_at, extract(epoch from now() - t.created_at)::float8,
         case when t.status = 'completed' then t.credits_used - coalesce(t.credits_settled_back, 0) end
    into task_id, user_id, task_type, provider, model, status, credits_used, external_task_id,
         failure_source, error_message, result_url, provider_cost_usd, created_at, submitted_at,
         updated_at, completed_at, age_seconds, credits_final
    from public.enhancement_tasks t
   where t.id = p_task_id;
  if not found then
    perform credits_private.raise_no_task(p_task_id);
  end if;
end;
$$;

comment on function public.get_generation(uuid) is
  'One task: status, provider job id, credits charged, outcome, cost and timestamps.';
revoke all on function public.get_generation(uuid) from public, anon, authenticated;
grant execute on function public.get_generation(uuid) to credits_service;
