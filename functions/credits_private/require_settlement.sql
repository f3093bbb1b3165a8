-- require_settlement: refuses a completion's p_credits_used that cannot settle the task (contract
-- §11): below 0, or above the hold (p_hold, the credits start_generation charged; null: not
-- known yet) is CR003; a task already settled at p_settled_at (its credits_final) settled again
-- at another figure is CR006 (a provider reporting two costs for one task is an error someone
-- must see). Null p_credits_used settles the whole hold, or repeats a settlement: never refused.
-- Errors: CR003, CR006.
create or replace function credits_private.require_settlement(
  p_task_id uuid, p_credits_used integer, p_hold bigint, p_settled_at bigint default null)
returns void
language plpgsql
immutable
set search_path to pg_catalog, pg_temp
as $$
begin
  if p_credits_used < 0 or p_credits_used > p_hold then
    raise exception using errcode = 'CR003',
      message = 'p_credits_used must be between 0 and the credits held for the task',
      detail = case when p_hold is null then format('p_credits_used was %s.', p_credits_used)
                    else format('p_credits_used was %s; task %s holds %s credits.', p_credits_used, p_task_id, p_hold) end,
      hint = 'Pass what the generation used, at most what start_generation charged, or null for all of it.';
  end if;
  if p_credits_used <> p_settled_at then
    raise exception using errcode = 'CR006',
      message = 'the task was settled at another figure',
      detail = format('task %s was completed at %s credits; this completion says %s.', p_task_id, p_settled_at, p_credits_used),
      hint = 'The provider reported two costs for one generation: check its callbacks. The first settlement stands.';
  end if;
end;
$$;

comment on function credits_private.require_settlement(uuid, integer, bigint, bigint) is
  'Raises CR003 for credits used outside 0..the hold, CR006 for a completed task settled at another figure.';
revoke all on function credits_private.require_settlement(uuid, integer, bigint, bigint) from public;
