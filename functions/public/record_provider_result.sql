-- record_provider_result: a provider reported a job's final result (a verified webhook, or a
-- reconciliation that asked the provider). Finds the task by the provider's job id and applies
-- it: 'completed' → complete_generation (the cost passed, else the model's price per generation
-- or per unit reported; the hold settled at p_credits_used, null: all of it), 'failed' →
-- fail_generation with source 'callback' (the refund). When no task has that job id yet — the
-- provider was faster than the commit of mark_generation_submitted — the result is stored
-- (credits_private.provider_results) and mark_generation_submitted applies it when it records
-- the id; the first stored result of a job is kept, later ones are duplicates. Duplicate and
-- late results never raise: the outcomes of complete_generation and fail_generation say what
-- happened. Both functions take a transaction-scoped advisory lock on the job id first, so the
-- one that commits second always sees the other's row.
-- Result: task_id (null while stored), status (the task's, null while stored), outcome
-- ('completed', 'already_completed', 'ignored_already_failed', 'refunded', 'already_failed',
-- 'ignored_already_completed', or 'stored' / 'already_stored' while no task has the job id),
-- credits_final and refunded_credits as complete_generation reports them (null for a failure or
-- a stored result). A stored result's p_credits_used above the hold settles the whole hold when
-- mark_generation_submitted applies it. p_outputs_delivered: how many outputs a batch delivered;
-- without p_credits_used, a task whose metadata has outputs_requested is settled at its hold ×
-- delivered ÷ requested (rounded down), else at the whole hold (apply_provider_result).
-- Errors: CR003 invalid argument (blank provider or job id, a status other than completed or
-- failed, a cost outside 0..10000, credits used below 0 or, once the task is known, above its
-- hold, units outside 0..1e9, outputs delivered below 0, a payload that is not a JSON object), CR006 a completed task
-- settled at another figure than p_credits_used (complete_generation). An oversized result
-- URL or payload is not a reason to refuse a result: the URL is left out, the payload kept only
-- up to 64 kB.
-- Never null: outcome.
-- SECURITY DEFINER: the service role calls it without any privilege on the tables.
create or replace function public.record_provider_result(
  p_provider text,
  p_external_task_id text,
  p_status text,
  p_provider_cost_usd numeric default null,
  p_result_url text default null,
  p_error_message text default null,
  p_payload jsonb default '{}',
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
security definer
set search_path to pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_task uuid;
  v_inserted boolean;
  v_url text;
begin
  perform credits_private.require_text('p_provider', p_provider, 100);
  perform credits_private.require_text('p_external_task_id', p_external_task_id, 500);
  if p_status is null or p_status not in ('completed', 'failed') then
    raise exception using errcode = 'CR003',
      message = 'p_status must be completed or failed',
      detail = format('p_status was %s.', coalesce(quote_literal(p_status), 'null')),
      hint = 'Only a final result is recorded; acknowledge intermediate statuses without calling this.';
  end if;
  perform credits_private.require_cost('p_provider_cost_usd', p_provider_cost_usd);
  perform credits_private.require_settlement(null, p_credits_used, null);
  perform credits_private.require_units('p_provider_units', p_provider_units);
  perform credits_private.require_units('p_outputs_delivered', p_outputs_delivered);
  if p_payload is not null and jsonb_typeof(p_payload) <> 'object' then
    raise exception using errcode = 'CR003',
      message = 'p_payload must be a JSON object',
      detail = format('p_payload was %s.', left(p_payload::text, 200)),
      hint = 'Pass the provider''s document, or {}.';
  end if;
  -- A provider's result is never refused for its size: a result URL longer than a task keeps
  -- (4096 characters, e.g. inline base64) is not recorded, and only a stored result keeps its
  -- document, up to 64 kB (WaveSpeed repeats the input, images included).
  v_url := case when length(p_result_url) <= 4096 and btrim(p_result_url, E' \t\n\r\f\x0B\u0085\u00A0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u200B\u200C\u200D\u2028\u2029\u202F\u205F\u2060\u3000\uFEFF') <> '' then p_result_url end;

  perform pg_advisory_xact_lock(hashtextextended('credits.provider_job:' || p_external_task_id, 0));
  select t.id into v_task from public.enhancement_tasks t
   where t.provider = p_provider and t.external_task_id = p_external_task_id;

  if v_task is null then
    insert into credits_private.provider_results as r
      (provider, external_task_id, status, provider_cost_usd, result_url, error_message, payload, credits_used, provider_units, outputs_delivered)
    values (p_provider, p_external_task_id, p_status, p_provider_cost_usd, v_url, left(p_error_message, 10000),
            case when pg_column_size(p_payload) <= 65536 then coalesce(p_payload, '{}') else '{"oversized": true}' end,
            p_credits_used, p_provider_units, p_outputs_delivered)
    on conflict on constraint provider_results_pkey do nothing
    returning true into v_inserted;
    outcome := case when v_inserted then 'stored' else 'already_stored' end;
    return;
  end if;

  select * into task_id, status, outcome, credits_final, refunded_credits from credits_private.apply_provider_result(
    v_task, p_status, p_provider_cost_usd, v_url, p_error_message, p_credits_used, p_provider_units, p_outputs_delivered);
end;
$$;

comment on function public.record_provider_result(text, text, text, numeric, text, text, jsonb, integer, numeric, integer) is
  'Applies a provider''s final result to the task with that job id (completes it, or fails and refunds it), or stores it until the submission is recorded.';
revoke all on function public.record_provider_result(text, text, text, numeric, text, text, jsonb, integer, numeric, integer) from public, anon, authenticated;
grant execute on function public.record_provider_result(text, text, text, numeric, text, text, jsonb, integer, numeric, integer) to credits_service;
