-- mark_generation_submitted: the provider accepted the job. Moves a pending task to
-- 'processing' and stores the provider's job id (unique per provider). Calling it again with
-- the id the task already has changes nothing. A result the provider reported before this call
-- (a webhook faster than the submission's commit, stored by record_provider_result) is applied
-- in the same transaction: the task then comes back completed (its hold settled at the credits
-- the result reported), or failed and refunded.
-- Result: task_id, status (processing, or completed/failed when a stored result was applied),
-- outcome ('submitted' or 'already_submitted').
-- Errors: CR003 invalid argument or external id used by another task of the provider,
-- CR004 no such task, CR005 another id is already set or the task is finished.
-- Never null: task_id, status, outcome.
-- SECURITY DEFINER: the service role calls it without any privilege on the tables.
create or replace function public.mark_generation_submitted(
  p_task_id uuid,
  p_external_task_id text,
  out task_id uuid,
  out status text,
  out outcome text
)
language plpgsql
volatile
security definer
set search_path to pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_task record;
  v_other uuid;
  v_provider text;
  v_hold bigint;
  v_credits_used integer;
  v_units numeric;
  v_outputs integer;
  v_result record;
begin
  -- Checked in one expression; the helpers run only to raise the precise error.
  if not (p_task_id is not null and coalesce(btrim(p_external_task_id, E' \t\n\r\f\x0B\u0085\u00A0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u200B\u200C\u200D\u2028\u2029\u202F\u205F\u2060\u3000\uFEFF') <> '' and length(p_external_task_id) <= 500, false)) then
    perform credits_private.require_present('p_task_id', p_task_id);
    perform credits_private.require_text('p_external_task_id', p_external_task_id, 500);
  end if;

  -- The unique index on (provider, external_task_id) is the check that the id is free: probing it
  -- first cost more than this block's subtransaction, and a concurrent submission of the same
  -- id is caught too (it waits for the other transaction, then reports CR003 below).
  begin
    update public.enhancement_tasks t
       set status = 'processing', external_task_id = p_external_task_id,
           submitted_at = now(), updated_at = now()
     where t.id = p_task_id and t.status = 'pending'
    returning t.id, t.status, t.provider into task_id, status, v_provider;
  exception when unique_violation then
    task_id := null;
  end;
  if task_id is not null then
    outcome := 'submitted';
    -- The same lock as record_provider_result's, taken after this task carries the job id: a
    -- result for the job either committed before it (and is found here) or waits for this
    -- commit (and then finds the task). The lock also serialises applying a stored result.
    perform pg_advisory_xact_lock(hashtextextended('credits.provider_job:' || p_external_task_id, 0));
    select r.status, r.provider_cost_usd, r.result_url, r.error_message into v_result
      from credits_private.provider_results r
     where r.provider = v_provider and r.external_task_id = p_external_task_id and r.applied_at is null;
    if found then
      -- A stored figure above the hold settles the whole hold: the submission is recorded whatever
      -- the result said (record_provider_result refuses such a figure only once the task is known).
      -- (read here, not above: every column the lookup returns costs each submission)
      select t.credits_used, r.credits_used, r.provider_units, r.outputs_delivered
        into v_hold, v_credits_used, v_units, v_outputs
        from public.enhancement_tasks t, credits_private.provider_results r
       where t.id = p_task_id and r.provider = v_provider and r.external_task_id = p_external_task_id;
      select a.status into status
        from credits_private.apply_provider_result(p_task_id, v_result.status, v_result.provider_cost_usd,
                                                   v_result.result_url, v_result.error_message,
                                                   case when v_credits_used <= v_hold then v_credits_used end,
                                                   v_units, case when v_credits_used is null then v_outputs end) a;
      update credits_private.provider_results r set applied_at = now(), task_id = p_task_id
       where r.provider = v_provider and r.external_task_id = p_external_task_id;
    end if;
    return;
  end if;

  select t.id, t.status, t.provider, t.external_task_id into v_task
    from public.enhancement_tasks t where t.id = p_task_id;
  if not found then
    perform credits_private.raise_no_task(p_task_id);
  end if;
  if v_task.external_task_id = p_external_task_id then
    task_id := v_task.id;
    status := v_task.status;
    outcome := 'already_submitted';
    return;
  end if;
  if v_task.external_task_id is not null or v_task.status <> 'pending' then
    raise exception using errcode = 'CR005',
      message = 'task cannot be submitted',
      detail = format('Task %s is %s with external id %s; this call passed %s.',
                      v_task.id, v_task.status, coalesce(v_task.external_task_id, 'none'), p_external_task_id),
      hint = 'A task is submitted once, before it finishes.';
  end if;
  select o.id into v_other from public.enhancement_tasks o
   where o.provider = v_task.provider and o.external_task_id = p_external_task_id;
  raise exception using errcode = 'CR003',
    message = 'external task id already used by another task of this provider',
    detail = format('Provider %s job %s belongs to task %s.', v_task.provider, p_external_task_id, v_other),
    hint = 'Pass the id the provider returned for this task.';
end;
$$;

comment on function public.mark_generation_submitted(uuid, text) is
  'Records that the provider accepted the task: processing, with the provider''s job id.';
revoke all on function public.mark_generation_submitted(uuid, text) from public, anon, authenticated;
grant execute on function public.mark_generation_submitted(uuid, text) to credits_service;
