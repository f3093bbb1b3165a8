-- apply_provider_result: a provider's final result applied to its task: 'completed' through
-- complete_generation (the cost passed, else the model's price), 'failed' through fail_generation
-- with source 'callback' (the refund). Shared by record_provider_result (the task is known) and
-- mark_generation_submitted (a result that arrived before the submission was recorded).
create or replace function credits_private.apply_provider_result(
  p_task_id uuid,
  p_status text,
  p_provider_cost_usd numeric,
  p_result_url text,
  p_error_message text,
  out task_id uuid,
  out status text,
  out outcome text
)
language plpgsql
volatile
set search_path to pg_catalog, pg_temp
as $$
begin
  if p_status = 'completed' then
    select c.task_id, c.status, c.outcome into task_id, status, outcome
      from public.complete_generation(p_task_id, p_provider_cost_usd, p_result_url) c;
  else
    select f.task_id, f.status, f.outcome into task_id, status, outcome
      from public.fail_generation(p_task_id, coalesce(nullif(p_error_message, ''), 'the provider reported a failure'), 'callback', p_provider_cost_usd) f;
  end if;
end;
$$;

comment on function credits_private.apply_provider_result(uuid, text, numeric, text, text) is
  'Completes or fails (and refunds) a task as its provider reported.';
revoke all on function credits_private.apply_provider_result(uuid, text, numeric, text, text) from public;
