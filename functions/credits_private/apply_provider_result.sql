-- apply_provider_result: a provider's final result applied to its task: 'completed' through
-- complete_generation (the cost passed, else the model's price; the hold settled at the credits
-- used, null: all of it), 'failed' through fail_generation with source 'callback' (the refund). Shared by record_provider_result (the task is known) and
-- mark_generation_submitted (a result that arrived before the submission was recorded).
create or replace function credits_private.apply_provider_result(
  p_task_id uuid,
  p_status text,
  p_provider_cost_usd numeric,
  p_result_url text,
  p_error_message text,
  p_credits_used integer default null,
  p_provider_units numeric default null,
  p_outputs_delivered integer default null,
  out task_id uuid,
  out status text,
  out outcome text,
  out credits_final bigint,
  out refunded_credits integer
)
language plpgsql
volatile
set search_path to pg_catalog, pg_temp
as $$
declare
  v_credits_used integer := p_credits_used;
begin
  if p_status = 'completed' then
    if v_credits_used is null and p_outputs_delivered >= 0 then
      select (t.credits_used * least(p_outputs_delivered, r.requested) / r.requested)::integer into v_credits_used
        from public.enhancement_tasks t
       cross join lateral (select case when jsonb_typeof(t.metadata -> 'outputs_requested') = 'number'
                                        and (t.metadata ->> 'outputs_requested')::numeric between 1 and 1000000
                                       then floor((t.metadata ->> 'outputs_requested')::numeric)::bigint end as requested) r
       where t.id = p_task_id and r.requested is not null;
    end if;
    select c.task_id, c.status, c.outcome, c.credits_final, c.refunded_credits
      into task_id, status, outcome, credits_final, refunded_credits
      from public.complete_generation(p_task_id, p_provider_cost_usd, p_result_url, v_credits_used, p_provider_units) c;
  else
    -- credits_final and refunded_credits stay null: they report a settlement
    select f.task_id, f.status, f.outcome into task_id, status, outcome
      from public.fail_generation(p_task_id, coalesce(nullif(p_error_message, ''), 'the provider reported a failure'), 'callback', p_provider_cost_usd) f;
  end if;
end;
$$;

comment on function credits_private.apply_provider_result(uuid, text, numeric, text, text, integer, numeric, integer) is
  'Completes or fails (and refunds) a task as its provider reported.';
revoke all on function credits_private.apply_provider_result(uuid, text, numeric, text, text, integer, numeric, integer) from public;
