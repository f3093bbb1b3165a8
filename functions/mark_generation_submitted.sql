-- mark_generation_submitted: the provider accepted the job. Moves a pending task to
-- 'processing' and stores the provider's job id (unique per provider). Calling it again with
-- the id the task already has changes nothing.
-- Result: task_id, status, outcome ('submitted' or 'already_submitted').
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
begin
  -- Checked in one expression; the helpers run only to raise the precise error.
  if not (p_task_id is not null and coalesce(btrim(p_external_task_id, E' \t\n\r\f\x0B') <> '' and length(p_external_task_id) <= 500, false)) then
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
    returning t.id, t.status into task_id, status;
  exception when unique_violation then
    task_id := null;
  end;
  if task_id is not null then
    outcome := 'submitted';
    return;
  end if;

  select t.id, t.status, t.provider, t.external_task_id into v_task
    from public.enhancement_tasks t where t.id = p_task_id;
  if not found then
    raise exception using errcode = 'CR004',
      message = 'no such task',
      detail = format('task_id %s does not exist.', p_task_id),
      hint = 'Pass the task_id that start_generation returned.';
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
