-- raise_no_task: the one refusal of a task id that does not exist (CR004), for the functions
-- that find a task by its id (mark_generation_submitted, complete_generation, fail_generation,
-- get_generation). Called only on that path: a call for an existing task pays nothing for it.
-- Errors: CR004, always.
create or replace function credits_private.raise_no_task(p_task_id uuid)
returns void
language plpgsql
immutable
set search_path to pg_catalog, pg_temp
as $$
begin
  raise exception using errcode = 'CR004',
    message = 'no such task',
    detail = format('task_id %s does not exist.', p_task_id),
    hint = 'Pass the task_id that start_generation returned.';
end;
$$;

comment on function credits_private.raise_no_task(uuid) is 'Raises CR004: no task has this id.';
revoke all on function credits_private.raise_no_task(uuid) from public;
