-- fail_generation: the generation failed. Moves the task to 'failed' and refunds every credit it
-- was charged, exactly once, in the same transaction. A failure costs the platform nothing
-- unless a provider cost is passed. Duplicate and late callbacks never raise: a failed task
-- reports 'already_failed', a completed one 'ignored_already_completed', and nothing changes.
-- Arguments: p_source says where the failure was seen: callback (the provider's webhook),
-- api_error (the provider refused the call), timeout (a sweep), admin (a person decided).
-- p_error_message is never a reason to refuse the refund: null or blank (only whitespace) is
-- stored as 'no error message given', more than 10,000 characters as its first 10,000; the
-- task's error_message_normalised says which ('defaulted', 'truncated'; null when stored as
-- given).
-- Result: task_id, status, refunded_credits, balance (the account's total afterwards; null when
-- the task's user has no account), outcome
-- ('refunded', 'already_failed', 'ignored_already_completed').
-- Errors: CR003 invalid argument (a null task id, an unknown source, a cost outside 0..10,000;
-- never the message), CR004 no such task.
-- Never null: task_id, status, refunded_credits, outcome.
-- SECURITY DEFINER: the service role calls it without any privilege on the tables.
create or replace function public.fail_generation(
  p_task_id uuid,
  p_error_message text,
  p_source text default 'callback',
  p_provider_cost_usd numeric default null,
  out task_id uuid,
  out status text,
  out refunded_credits integer,
  out balance bigint,
  out outcome text
)
language plpgsql
volatile
security definer
set search_path to pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_failure record;
  v_message text := p_error_message;
  v_normalised text;
begin
  -- Checked in one expression; the helpers run only to raise the precise error.
  if not (p_task_id is not null
          and (p_provider_cost_usd is null or p_provider_cost_usd between 0 and 10000)) then
    perform credits_private.require_present('p_task_id', p_task_id);
    perform credits_private.require_cost('p_provider_cost_usd', p_provider_cost_usd);
  end if;
  -- An API-error handler passes the provider's text through: normalise it rather than refuse
  -- the refund (blank: the set of credits_private.require_text). One test when the message is fine.
  if not coalesce(btrim(p_error_message, E' \t\n\r\f\x0B\u0085\u00A0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u200B\u200C\u200D\u2028\u2029\u202F\u205F\u2060\u3000\uFEFF') <> '' and length(p_error_message) <= 10000, false) then
    if coalesce(btrim(p_error_message, E' \t\n\r\f\x0B\u0085\u00A0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u200B\u200C\u200D\u2028\u2029\u202F\u205F\u2060\u3000\uFEFF'), '') = '' then
      v_message := 'no error message given';
      v_normalised := 'defaulted';
    else
      v_message := left(p_error_message, 10000);
      v_normalised := 'truncated';
    end if;
  end if;
  if p_source is null or p_source not in ('callback', 'api_error', 'timeout', 'admin') then
    raise exception using errcode = 'CR003',
      message = 'p_source must be one of callback, api_error, timeout, admin',
      detail = format('p_source was %s.', coalesce(quote_literal(p_source), 'null')),
      hint = 'Say where the failure was seen.';
  end if;

  -- An assignment, not SELECT … FROM: PL/pgSQL evaluates it without planning a query.
  v_failure := credits_private.fail_and_refund(p_task_id, 'rpc', p_source, v_message, v_normalised, coalesce(p_provider_cost_usd, 0));
  if v_failure.failed then
    task_id := p_task_id;
    status := 'failed';
    refunded_credits := v_failure.refunded_credits;
    balance := v_failure.balance;
    outcome := 'refunded';
    return;
  end if;

  select t.id, t.status, uc.credits into task_id, status, balance
    from public.enhancement_tasks t
    left join public.user_credits uc on uc.user_id = coalesce(t.account_id, t.user_id)
   where t.id = p_task_id;
  if not found then
    perform credits_private.raise_no_task(p_task_id);
  end if;
  refunded_credits := 0;
  outcome := case status when 'failed' then 'already_failed' else 'ignored_already_completed' end;
end;
$$;

comment on function public.fail_generation(uuid, text, text, numeric) is
  'Marks a generation failed and refunds its credits exactly once; idempotent.';
revoke all on function public.fail_generation(uuid, text, text, numeric) from public, anon, authenticated;
grant execute on function public.fail_generation(uuid, text, text, numeric) to credits_service;
