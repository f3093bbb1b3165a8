-- enhancement_task_is_valid: the integrity rule of a task row, called by the CHECK constraint
-- enhancement_tasks_row_check (one call per written row: PostgreSQL 15 pays for each column a
-- CHECK expression reads, a function call reads each once). True, or a check_violation naming
-- the broken rule. Legacy rows (origin 'legacy') keep the looser rules they were written under.
-- The rule in force: a deploy applies a change to the rows written from then on; a rule that
-- rows already stored may break needs a migration that checks them (CONTRIBUTING.md).
create or replace function credits_private.enhancement_task_is_valid(
  status text, origin text, failure_source text, completed_at timestamptz,
  credits_used bigint, provider_cost_usd numeric, metadata jsonb)
returns boolean
language plpgsql
immutable
set search_path to pg_catalog, pg_temp
as $$
declare
  broken integer := case
    when not (status in ('pending', 'processing', 'completed', 'failed')) then 1
    when not (origin in ('legacy', 'rpc')) then 2
    when not (failure_source in ('callback', 'api_error', 'timeout', 'admin')) then 3
    when not (credits_used >= 0) then 4
    when not (provider_cost_usd >= 0) then 5
    when not (jsonb_typeof(metadata) = 'object') then 6
    -- tasks the package runs finish with a timestamp, and only failures carry a source
    when not (origin = 'legacy' or (status in ('completed', 'failed')) = (completed_at is not null)) then 7
    when not (origin = 'legacy' or failure_source is null or status = 'failed') then 8
  end;
begin
  if broken is null then
    return true;
  end if;
  raise exception using errcode = 'check_violation', table = 'enhancement_tasks',
    constraint = 'enhancement_tasks_row_check', message = 'enhancement_tasks row refused: ' || case broken
      when 1 then format('status must be pending, processing, completed or failed, not %L', status)
      when 2 then format('origin must be legacy or rpc, not %L', origin)
      when 3 then format('failure_source must be callback, api_error, timeout or admin, not %L', failure_source)
      when 4 then format('credits_used must not be negative, not %s', credits_used)
      when 5 then format('provider_cost_usd must not be negative, not %s', provider_cost_usd)
      when 6 then format('metadata must be a JSON object, not %s', jsonb_typeof(metadata))
      when 7 then format('completed_at must be set exactly when the task is finished (status %L, completed_at %s)',
                         status, coalesce(completed_at::text, 'null'))
      else format('only a failed task has a failure_source (status %L, failure_source %L)', status, failure_source)
    end;
end;
$$;

revoke all on function credits_private.enhancement_task_is_valid(text, text, text, timestamptz, bigint, numeric, jsonb) from public;
