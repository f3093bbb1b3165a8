-- raise_key_reused: start_generation's refusal of an idempotency key used before with other
-- arguments (CR006): DETAIL names the first call's task and both calls' arguments, the account
-- that paid or would pay included (a member's key is theirs whichever account pays, contract §12).
-- Errors: CR006, always.
create or replace function credits_private.raise_key_reused(
  p_key text,
  p_first public.enhancement_tasks,
  p_task_type text,
  p_provider text,
  p_model text,
  p_credits integer,
  p_account_id uuid
)
returns void
language plpgsql
immutable
set search_path to pg_catalog, pg_temp
as $$
begin
  raise exception using errcode = 'CR006',
    message = 'idempotency key reused with different arguments',
    detail = format('Key %L started task %s (%s, %s, %s, %s credits, paid by %s); this call asked for (%s, %s, %s, %s credits, paid by %s).',
                    p_key, p_first.id, p_first.task_type, p_first.provider, p_first.model, p_first.credits_used,
                    coalesce(p_first.account_id, p_first.user_id), p_task_type, p_provider, p_model, p_credits, p_account_id),
    hint = 'Use a new key for a new generation.';
end;
$$;

comment on function credits_private.raise_key_reused(text, public.enhancement_tasks, text, text, text, integer, uuid) is
  'Raises CR006: a generation''s idempotency key reused with other arguments.';
revoke all on function credits_private.raise_key_reused(text, public.enhancement_tasks, text, text, text, integer, uuid) from public;
